"""Agent states over REST: ready, not ready with a reason code, logged out — each change on record with
its time, reason and who asked; the ACD's own states (reserved, on call) are not for REST to change."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
from acd_factory import a_name, agent_key_headers, make_agent
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.agent_states import record_agent_state
from ccserver.crm.database import session_factory

Headers = dict[str, str]
HeadersFor = Callable[[str], Awaitable[Headers]]


async def make_reason(client: httpx.AsyncClient, headers: Headers, **fields: object) -> str:
    code = a_name("break")
    body = {"code": code, "label": "Break", **fields}
    response = await client.post("/api/v1/not-ready-reasons", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return code


async def change(client: httpx.AsyncClient, agent_id: str, headers: Headers, **body: object) -> httpx.Response:
    return await client.post(f"/api/v1/agents/{agent_id}/state", json=body, headers=headers)


async def log_of(client: httpx.AsyncClient, agent_id: str, headers: Headers, **params: str) -> list[dict[str, object]]:
    response = await client.get(f"/api/v1/agents/{agent_id}/states", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_agent_logs_in_takes_a_break_and_logs_out_all_on_record(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    reason = await make_reason(api_client, admin)
    agent = await make_agent(api_client, admin)
    key = await agent_key_headers(api_client, admin, agent["id"])

    ready = await change(api_client, agent["id"], key, state="ready")
    on_break = await change(api_client, agent["id"], key, state="not_ready", reason=reason)
    gone = await change(api_client, agent["id"], admin, state="logged_out")

    assert ready.status_code == 200, ready.text
    assert on_break.json()["state"] == "not_ready" and on_break.json()["reason"] == reason
    assert gone.json()["state"] == "logged_out"
    log = await log_of(api_client, agent["id"], admin)
    assert [(c["from_state"], c["to_state"], c["reason"], c["source"]) for c in log] == [
        ("logged_out", "ready", None, "agent"),
        ("ready", "not_ready", reason, "agent"),
        ("not_ready", "logged_out", None, "supervisor"),
    ]
    stamps = [datetime.fromisoformat(str(c["at"])) for c in log]
    assert stamps == sorted(stamps)
    current = (await api_client.get(f"/api/v1/agents/{agent['id']}", headers=key)).json()["state"]
    assert current["state"] == "logged_out" and current["since"] == log[-1]["at"]


async def test_asking_for_the_current_state_again_logs_nothing(api_client: httpx.AsyncClient, admin: Headers) -> None:
    agent = await make_agent(api_client, admin)

    first = await change(api_client, agent["id"], admin, state="ready")
    again = await change(api_client, agent["id"], admin, state="ready")

    assert again.status_code == 200 and again.json() == first.json()
    assert len(await log_of(api_client, agent["id"], admin)) == 1


async def test_not_ready_needs_a_known_reason_and_others_take_none(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    reason = await make_reason(api_client, admin)
    agent = await make_agent(api_client, admin)

    cases = [
        ({"state": "not_ready"}, ["body", "reason"]),
        ({"state": "not_ready", "reason": "no-such-reason"}, ["body", "reason"]),
        ({"state": "ready", "reason": reason}, ["body", "reason"]),
        ({"state": "on_call"}, ["body", "state"]),
        ({"state": "reserved"}, ["body", "state"]),
    ]
    for body, loc in cases:
        response = await change(api_client, agent["id"], admin, **body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["loc"] == loc, body
    assert await log_of(api_client, agent["id"], admin) == []


async def test_while_on_a_call_the_acd_owns_the_state(
    api_client: httpx.AsyncClient, admin: Headers, db_engine: AsyncEngine
) -> None:
    agent = await make_agent(api_client, admin)
    await change(api_client, agent["id"], admin, state="ready")
    call_id = uuid.uuid4()
    async with session_factory(db_engine)() as session:
        await record_agent_state(
            session=session, agent_id=uuid.UUID(agent["id"]), to_state="on_call", reason=None, source="system",
            at=datetime.now(UTC), call_id=call_id,
        )

    response = await change(api_client, agent["id"], admin, state="logged_out")

    assert response.status_code == 409
    state = (await api_client.get(f"/api/v1/agents/{agent['id']}", headers=admin)).json()["state"]
    assert state["state"] == "on_call" and state["call_id"] == str(call_id)
    assert (await log_of(api_client, agent["id"], admin))[-1]["source"] == "system"


async def test_an_inactive_agent_cannot_log_in(api_client: httpx.AsyncClient, admin: Headers) -> None:
    agent = await make_agent(api_client, admin, active=False)

    response = await change(api_client, agent["id"], admin, state="ready")

    assert response.status_code == 409
    assert (await change(api_client, agent["id"], admin, state="logged_out")).status_code == 200


async def test_state_log_filters_by_time_and_pages(api_client: httpx.AsyncClient, admin: Headers) -> None:
    reason = await make_reason(api_client, admin)
    agent = await make_agent(api_client, admin)
    for _ in range(3):
        await change(api_client, agent["id"], admin, state="ready")
        await change(api_client, agent["id"], admin, state="not_ready", reason=reason)
    everything = await log_of(api_client, agent["id"], admin)
    assert len(everything) == 6

    window = await log_of(
        api_client, agent["id"], admin, **{"from": str(everything[2]["at"]), "to": str(everything[4]["at"])}
    )
    first = (await api_client.get(f"/api/v1/agents/{agent['id']}/states", params={"limit": 4}, headers=admin)).json()
    rest = await log_of(api_client, agent["id"], admin, after=str(first["next_after"]))

    assert [c["id"] for c in window] == [everything[2]["id"], everything[3]["id"]]
    assert [c["id"] for c in first["items"] + rest] == [c["id"] for c in everything]
    bad = await api_client.get(
        f"/api/v1/agents/{agent['id']}/states", params={"from": "2024-06-02T00:00:00Z", "to": "2024-06-01T00:00:00Z"},
        headers=admin,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "to"]


async def test_unknown_agent_is_404(api_client: httpx.AsyncClient, admin: Headers) -> None:
    missing = uuid.uuid4()

    assert (await change(api_client, str(missing), admin, state="ready")).status_code == 404
    assert (await api_client.get(f"/api/v1/agents/{missing}/states", headers=admin)).status_code == 404


async def test_who_may_change_and_read_states(
    api_client: httpx.AsyncClient, admin: Headers, headers_for: HeadersFor
) -> None:
    supervisor, integrator = await headers_for("supervisor"), await headers_for("integrator")
    me, colleague = await make_agent(api_client, admin), await make_agent(api_client, admin)
    my_key = await agent_key_headers(api_client, admin, me["id"])

    assert (await change(api_client, me["id"], my_key, state="ready")).status_code == 200
    assert (await change(api_client, colleague["id"], my_key, state="ready")).status_code == 403
    assert (await change(api_client, colleague["id"], supervisor, state="ready")).status_code == 200
    assert (await change(api_client, colleague["id"], integrator, state="logged_out")).status_code == 403
    assert (await api_client.get(f"/api/v1/agents/{me['id']}/states", headers=my_key)).status_code == 200
    assert (await api_client.get(f"/api/v1/agents/{colleague['id']}/states", headers=my_key)).status_code == 403
    assert (await api_client.get(f"/api/v1/agents/{colleague['id']}/states", headers=integrator)).status_code == 200


async def test_reason_codes_are_listed_for_every_role_and_written_by_supervisors(
    api_client: httpx.AsyncClient, admin: Headers, headers_for: HeadersFor
) -> None:
    code = await make_reason(api_client, await headers_for("supervisor"), productive=True)

    listed = await api_client.get("/api/v1/not-ready-reasons", headers=await headers_for("agent"))
    again = await api_client.post("/api/v1/not-ready-reasons", json={"code": code, "label": "x"}, headers=admin)
    by_agent = await api_client.post(
        "/api/v1/not-ready-reasons", json={"code": a_name("r"), "label": "x"}, headers=await headers_for("agent")
    )

    assert listed.status_code == 200
    assert {"code": code, "label": "Break", "productive": True} in [
        {k: r[k] for k in ("code", "label", "productive")} for r in listed.json()
    ]
    assert again.status_code == 409 and by_agent.status_code == 403
