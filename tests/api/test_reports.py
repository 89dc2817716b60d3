"""KPIs over REST: who may read them, the window and parameters checked, the JSON shape and the CSV export.
The figures themselves are worked out by hand in tests/db/test_kpis.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from acd_events import AcdEvents
from acd_factory import a_name
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.tables import queues

Headers = dict[str, str]
HeadersFor = Callable[[str], Awaitable[Headers]]
URL = "/api/v1/reports/kpis"
DAY = datetime(2022, 10, 4, tzinfo=UTC)  # no other test writes on this day
WINDOW = {"from": "2022-10-04T00:00:00Z", "to": "2022-10-05T00:00:00Z"}
ROW_FIELDS = [
    "group", "agent_extension", "agent_name", "answered", "answered_within_sl", "abandoned", "handled",
    "fcr_calls", "fcr_resolved", "talk_s", "hold_s", "acw_s", "ready_s", "logged_in_s", "asa_s",
    "avg_queue_time_s", "avg_hold_s", "abandon_rate_pct", "service_level_pct", "aht_s", "avg_acw_s",
    "occupancy_pct", "ready_ratio_pct", "fcr_pct",
]


@pytest.fixture(scope="module")
async def queue_day(db_engine: AsyncEngine) -> str:
    """A queue's day, recorded once for the module: answers after 10 s and 30 s (threshold 20 s), an abandon
    after 40 s, a 100 s talk."""
    queue, acd_events = a_name("q"), AcdEvents(db_engine)
    async with db_engine.begin() as conn:
        await conn.execute(insert(queues).values(name=queue, sl_threshold_s=20))
    await acd_events.add("Answered", DAY + timedelta(hours=9), Queue=queue, AgentId="ann", WaitedS="10.000")
    await acd_events.add("Answered", DAY + timedelta(hours=10), Queue=queue, AgentId="bob", WaitedS="30.000")
    await acd_events.add("Left", DAY + timedelta(hours=11), Queue=queue, WaitedS="40.000", Reason="abandoned")
    await acd_events.add("Ended", DAY + timedelta(hours=12), Queue=queue, AgentId="ann", TalkS="100.000")
    return queue


async def get(client: httpx.AsyncClient, headers: Headers, **params: Any) -> httpx.Response:
    return await client.get(URL, params=params, headers=headers)


async def test_json_has_the_window_a_row_per_group_and_the_overall_row(
    api_client: httpx.AsyncClient, admin: Headers, queue_day: str
) -> None:
    response = await get(api_client, admin, **WINDOW, group_by="queue")

    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["group_by", "from", "to", "fcr_window_days", "groups", "overall"]
    assert (body["group_by"], body["from"], body["to"], body["fcr_window_days"]) == (
        "queue", "2022-10-04T00:00:00Z", "2022-10-05T00:00:00Z", 7)
    row = next(r for r in body["groups"] if r["group"] == queue_day)
    assert list(row) == ROW_FIELDS
    assert {k: row[k] for k in ("answered", "answered_within_sl", "abandoned", "handled", "talk_s")} == {
        "answered": 2, "answered_within_sl": 1, "abandoned": 1, "handled": 1, "talk_s": 100.0}
    assert row["asa_s"] == pytest.approx(20.0)  # (10 + 30) / 2
    assert row["service_level_pct"] == pytest.approx(100 / 3)  # 1 within of 2 answered + 1 abandoned
    assert row["abandon_rate_pct"] == pytest.approx(100 / 3)
    assert (row["ready_s"], row["occupancy_pct"]) == (None, None)  # idle time belongs to no queue
    assert body["overall"]["group"] == "overall" and body["overall"]["answered"] == 2


async def test_hours_cover_the_window(api_client: httpx.AsyncClient, admin: Headers, queue_day: str) -> None:
    body = (await get(api_client, admin, **WINDOW, group_by="hour")).json()

    assert [r["group"] for r in body["groups"]] == [f"2022-10-04T{h:02}:00:00Z" for h in range(24)]
    assert [r["answered"] for r in body["groups"]][9:11] == [1, 1]


@pytest.mark.parametrize("ask", [{"headers": {"Accept": "text/csv"}}, {"params": {"format": "csv"}}])
async def test_csv_has_a_header_a_row_per_group_and_fixed_decimals(
    api_client: httpx.AsyncClient, admin: Headers, queue_day: str, ask: dict[str, dict[str, str]]
) -> None:
    params = {**WINDOW, "group_by": "queue", **ask.get("params", {})}

    response = await api_client.get(URL, params=params, headers={**admin, **ask.get("headers", {})})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="kpis-queue-20221004T000000Z.csv"'
    reader = csv.DictReader(io.StringIO(response.text))
    rows = list(reader)
    assert reader.fieldnames == ROW_FIELDS
    assert rows[-1]["group"] == "overall"  # after the queues
    row = next(r for r in rows if r["group"] == queue_day)
    assert (row["answered"], row["abandoned"], row["asa_s"], row["service_level_pct"]) == ("2", "1", "20.000", "33.33")
    assert (row["talk_s"], row["ready_s"], row["occupancy_pct"], row["agent_name"]) == ("100.000", "", "", "")


async def test_format_json_wins_over_accept(api_client: httpx.AsyncClient, admin: Headers) -> None:
    response = await api_client.get(URL, params={**WINDOW, "format": "json"}, headers={**admin, "Accept": "text/csv"})

    assert response.headers["content-type"] == "application/json"
    assert response.json()["groups"][0]["group"] == "overall"


async def test_overall_csv_has_the_one_row(api_client: httpx.AsyncClient, admin: Headers, queue_day: str) -> None:
    response = await get(api_client, admin, **WINDOW, format="csv")

    rows = list(csv.reader(io.StringIO(response.text)))
    assert [r[0] for r in rows] == ["group", "overall"]
    assert rows[1][ROW_FIELDS.index("asa_s")] == "20.000"


async def test_without_a_window_it_is_today_utc(api_client: httpx.AsyncClient, admin: Headers) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    body = (await get(api_client, admin)).json()

    assert (body["group_by"], body["from"], body["to"]) == (
        "overall", f"{today:%Y-%m-%d}T00:00:00Z", f"{today + timedelta(days=1):%Y-%m-%d}T00:00:00Z")
    only_to = (await get(api_client, admin, to="2022-10-04T12:00:00+02:00")).json()
    assert (only_to["from"], only_to["to"]) == ("2022-10-03T10:00:00Z", "2022-10-04T10:00:00Z")


@pytest.mark.parametrize("role", ["admin", "supervisor", "integrator"])
async def test_admins_supervisors_and_integrators_read_kpis(
    api_client: httpx.AsyncClient, headers_for: HeadersFor, role: str
) -> None:
    assert (await get(api_client, await headers_for(role), **WINDOW)).status_code == 200


async def test_agents_may_not_read_kpis(api_client: httpx.AsyncClient, headers_for: HeadersFor) -> None:
    response = await get(api_client, await headers_for("agent"), **WINDOW)

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer ccs_nope_nope"}])
async def test_kpis_need_a_valid_key(api_client: httpx.AsyncClient, headers: Headers) -> None:
    assert (await get(api_client, headers, **WINDOW)).status_code == 401


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"from": "2022-10-04T00:00:00Z", "to": "2022-10-03T00:00:00Z"}, ["query", "to"]),  # to before from
        ({"from": "2022-10-04T00:00:00Z", "to": "2022-10-04T00:00:00Z"}, ["query", "to"]),  # empty window
        ({"from": "2021-01-01T00:00:00Z", "to": "2022-10-04T00:00:00Z"}, ["query", "to"]),  # over 366 days
        ({"from": "yesterday"}, ["query", "from"]),
        ({"group_by": "skill"}, ["query", "group_by"]),
        ({"format": "xml"}, ["query", "format"]),
        ({"fcr_window_days": "0"}, ["query", "fcr_window_days"]),
        ({"fcr_window_days": "91"}, ["query", "fcr_window_days"]),
    ],
)
async def test_bad_parameters_are_422_naming_the_field(
    api_client: httpx.AsyncClient, admin: Headers, params: dict[str, str], loc: list[str]
) -> None:
    response = await get(api_client, admin, **params)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in response.json()["errors"]] == [loc]
