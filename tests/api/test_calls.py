"""The call journal over REST: filtered lists paged by keyset, one call with legs, its event timeline."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from calls_factory import T0, Journal

Headers = dict[str, str]


async def _all_pages(
    client: httpx.AsyncClient, headers: Headers, params: dict[str, object]
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/calls", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([c["id"] for c in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_calls_page_newest_first_across_pages_without_gaps_or_repeats(
    api_client: httpx.AsyncClient, admin: Headers, journal: Journal
) -> None:
    # Seven calls; two pairs start in the same microsecond, which the (started_at, id) key must split.
    starts = [
        T0,
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=2),
        T0 + timedelta(minutes=3),
        T0 + timedelta(minutes=3),
        T0 + timedelta(minutes=4),
    ]
    ids = [await journal.call(started_at=s) for s in starts]
    expected = [
        str(i) for _, i in sorted(zip(starts, ids, strict=True), key=lambda p: (p[0], p[1]), reverse=True)
    ]

    pages = await _all_pages(api_client, admin, {"switch_id": journal.switch_id, "limit": 3})

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for page in pages for i in page] == expected


async def test_calls_are_filtered_by_time_direction_state_outcome_and_customer(
    api_client: httpx.AsyncClient, admin: Headers, journal: Journal
) -> None:
    customer = (
        await api_client.post("/api/v1/customers", json={"name": "Known caller"}, headers=admin)
    ).json()
    early = await journal.call(started_at=T0)
    outbound = await journal.call(
        started_at=T0 + timedelta(hours=1), direction="outbound", outcome="no_answer"
    )
    live = await journal.call(started_at=T0 + timedelta(hours=2), state="active", outcome=None)
    known = await journal.call(started_at=T0 + timedelta(hours=3), customer_id=uuid.UUID(customer["id"]))

    async def ids(**params: str) -> set[str]:
        pages = await _all_pages(api_client, admin, {"switch_id": journal.switch_id, **params})
        return {i for page in pages for i in page}

    assert await ids() == {str(early), str(outbound), str(live), str(known)}
    assert await ids(direction="outbound") == {str(outbound)}
    assert await ids(outcome="no_answer") == {str(outbound)}
    assert await ids(state="active") == {str(live)}
    assert await ids(customer_id=customer["id"]) == {str(known)}
    # `from` is inclusive, `to` exclusive; a time without offset is UTC.
    one_pm = (T0 + timedelta(hours=1)).isoformat()
    assert await ids(**{"from": one_pm, "to": "2024-06-01T14:00:00"}) == {str(outbound)}
    assert await ids(**{"from": one_pm, "to": "2024-06-01T14:00:01"}) == {str(outbound), str(live)}
    assert await ids(**{"from": "2024-06-01T15:00:00+02:00"}) == {str(known), str(live), str(outbound)}
    assert await ids(switch_id="no-such-switch") == set()


async def test_one_call_comes_with_its_legs_in_order_and_its_bridges(
    api_client: httpx.AsyncClient, admin: Headers, journal: Journal
) -> None:
    call_id = await journal.call(started_at=T0, caller_number="4155550100", caller_e164="+14155550100")
    agent_leg = await journal.leg(
        call_id, created_at=T0 + timedelta(seconds=5), channel="PJSIP/1001-00000002"
    )
    trunk_leg = await journal.leg(call_id, created_at=T0, channel="PJSIP/trunk-00000001", role="originator")
    bridge = await journal.bridge(call_id, created_at=T0 + timedelta(seconds=6))
    other_call = await journal.call(started_at=T0)
    await journal.leg(other_call, created_at=T0, channel="PJSIP/trunk-00000009")

    response = await api_client.get(f"/api/v1/calls/{call_id}", headers=admin)

    assert response.status_code == 200, response.text
    call = response.json()
    assert call["id"] == str(call_id)
    assert call["caller_e164"] == "+14155550100"
    assert [leg["id"] for leg in call["legs"]] == [str(trunk_leg), str(agent_leg)]
    assert call["legs"][0]["tech"] == "PJSIP" and call["legs"][0]["role"] == "originator"
    assert [b["id"] for b in call["bridges"]] == [str(bridge)]


async def test_event_timeline_is_in_id_order_and_pages_by_after(
    api_client: httpx.AsyncClient, admin: Headers, journal: Journal
) -> None:
    call_id = await journal.call()
    names = ["Newchannel", "VarSet", "DialBegin", "DialEnd", "BridgeEnter"]
    event_ids = await journal.events(call_id, names)
    await journal.events(await journal.call(), ["Hangup"])  # another call's event, never shown here

    url = f"/api/v1/calls/{call_id}/events"
    first = (await api_client.get(url, params={"limit": 2}, headers=admin)).json()
    second = (
        await api_client.get(url, params={"limit": 2, "after": first["next_after"]}, headers=admin)
    ).json()
    third = (
        await api_client.get(url, params={"limit": 2, "after": second["next_after"]}, headers=admin)
    ).json()

    assert [e["event"] for e in first["items"] + second["items"] + third["items"]] == names
    assert [e["id"] for e in first["items"]] == event_ids[:2]
    assert third["next_after"] is None
    assert first["items"][0]["raw"] == {"Event": "Newchannel", "Seq": 0}


async def test_unknown_call_is_a_404_problem(api_client: httpx.AsyncClient, admin: Headers) -> None:
    for url in (f"/api/v1/calls/{uuid.uuid4()}", f"/api/v1/calls/{uuid.uuid4()}/events"):
        response = await api_client.get(url, headers=admin)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 404
