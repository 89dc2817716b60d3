"""Queues, skills and a call's routing decisions over REST."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from acd_factory import a_name, make_queue, make_skill
from calls_factory import Journal
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.database import session_factory
from ccserver.crm.routing_log import record_routing_decision

Headers = dict[str, str]
HeadersFor = Callable[[str], Awaitable[Headers]]


async def test_queue_keeps_its_whole_configuration(api_client: httpx.AsyncClient, admin: Headers) -> None:
    billing, technical = await make_skill(api_client, admin), await make_skill(api_client, admin)
    general = await make_queue(api_client, admin)
    name = a_name("billing")
    body: dict[str, Any] = {
        "name": name, "description": "Invoices", "priority": 10, "required_skills": {billing: 5},
        "sl_target_pct": 90, "sl_threshold_s": 15, "max_wait_s": 300, "wrapup_s": 20, "strategy": "longest_idle",
        "overflow_queue": general["name"], "announce_every_s": 45, "announce_position": False,
        "announce_wait": True,
        "escalation": [
            {"after_s": 30, "action": "relax_skill", "skill": billing, "min_level": 3},
            {"after_s": 30, "action": "widen", "skills": {technical: 6}},
            {"after_s": 90, "action": "offer_callback"},
            {"after_s": 200, "action": "overflow"},
        ],
    }

    created = await api_client.post("/api/v1/queues", json=body, headers=admin)

    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v1/queues/{name}" and created.headers["ETag"] == '"1"'
    queue = created.json()
    assert {k: queue[k] for k in body if k != "escalation"} == {k: v for k, v in body.items() if k != "escalation"}
    assert [{k: v for k, v in step.items() if v is not None} for step in queue["escalation"]] == body["escalation"]
    assert (await api_client.get(f"/api/v1/queues/{name}", headers=admin)).json() == queue
    assert name in [q["name"] for q in (await api_client.get("/api/v1/queues", headers=admin)).json()]


async def test_defaults_fill_what_is_left_out(api_client: httpx.AsyncClient, admin: Headers) -> None:
    queue = await make_queue(api_client, admin)

    assert queue["priority"] == 0 and queue["required_skills"] == {} and queue["escalation"] == []
    assert (queue["sl_target_pct"], queue["sl_threshold_s"]) == (80, 20)
    assert queue["strategy"] == "most_skilled" and queue["max_wait_s"] is None


@pytest.mark.parametrize(
    ("fields", "loc", "msg"),
    [
        ({"required_skills": {"nosuch": 3}}, ["body", "required_skills", "nosuch"], "unknown skill 'nosuch'"),
        ({"overflow_queue": "nosuch"}, ["body", "overflow_queue"], "unknown queue 'nosuch'"),
        (
            {"escalation": [{"after_s": 60, "action": "offer_callback"}, {"after_s": 30, "action": "voicemail"}]},
            ["body", "escalation", 1, "after_s"],
            "comes before the step above it (60 s)",
        ),
        (
            {"escalation": [{"after_s": 60, "action": "voicemail"}, {"after_s": 90, "action": "offer_callback"}]},
            ["body", "escalation", 1, "action"],
            "the call has left the queue at step 0",
        ),
        (
            {"max_wait_s": 60, "escalation": [{"after_s": 60, "action": "offer_callback"}]},
            ["body", "escalation", 0, "after_s"],
            "not before max_wait_s (60 s)",
        ),
        (
            {"escalation": [{"after_s": 60, "action": "overflow"}]},
            ["body", "escalation", 0, "queue"],
            "needed: the queue has no overflow_queue",
        ),
    ],
)
async def test_configuration_that_cannot_work_is_refused_naming_the_field(
    api_client: httpx.AsyncClient, admin: Headers, fields: dict[str, Any], loc: list[str | int], msg: str
) -> None:
    response = await api_client.post("/api/v1/queues", json={"name": a_name("q"), **fields}, headers=admin)

    assert response.status_code == 422, response.text
    assert {"loc": loc, "msg": msg, "type": "value_error"} in response.json()["errors"]


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"name": "has space"}, ["body", "name"]),
        ({"strategy": "random"}, ["body", "strategy"]),
        ({"sl_target_pct": 101}, ["body", "sl_target_pct"]),
        ({"required_skills": {"billing": 0}}, ["body", "required_skills", "billing"]),
        ({"escalation": [{"after_s": 1, "action": "teleport"}]}, ["body", "escalation", 0]),
        ({"escalation": [{"after_s": 1, "action": "relax_skill", "skill": "x"}]},
         ["body", "escalation", 0, "relax_skill", "min_level"]),
    ],
)
async def test_malformed_queue_fields_are_422(
    api_client: httpx.AsyncClient, admin: Headers, fields: dict[str, Any], loc: list[str | int]
) -> None:
    response = await api_client.post("/api/v1/queues", json={"name": a_name("q"), **fields}, headers=admin)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


async def test_a_queue_cannot_overflow_to_itself(api_client: httpx.AsyncClient, admin: Headers) -> None:
    queue = await make_queue(api_client, admin)

    response = await api_client.put(
        f"/api/v1/queues/{queue['name']}", json={"overflow_queue": queue["name"]}, headers=admin
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["msg"] == "a queue cannot send calls to itself"


async def test_put_replaces_with_optimistic_concurrency(api_client: httpx.AsyncClient, admin: Headers) -> None:
    queue = await make_queue(api_client, admin, priority=7, wrapup_s=30)
    url = f"/api/v1/queues/{queue['name']}"

    replaced = await api_client.put(url, json={"priority": 3}, headers={**admin, "If-Match": '"1"'})
    stale = await api_client.put(url, json={"priority": 4, "version": 1}, headers=admin)

    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["priority"], replaced.json()["wrapup_s"], replaced.json()["version"]) == (3, 0, 2)
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    assert (await api_client.put("/api/v1/queues/nosuch-queue", json={}, headers=admin)).status_code == 404


async def test_a_queue_others_send_calls_to_cannot_be_deleted(api_client: httpx.AsyncClient, admin: Headers) -> None:
    target = await make_queue(api_client, admin)
    source = await make_queue(
        api_client, admin, escalation=[{"after_s": 60, "action": "overflow", "queue": target["name"]}]
    )

    refused = await api_client.delete(f"/api/v1/queues/{target['name']}", headers=admin)
    source_gone = await api_client.delete(f"/api/v1/queues/{source['name']}", headers=admin)
    target_gone = await api_client.delete(f"/api/v1/queues/{target['name']}", headers=admin)

    assert refused.status_code == 409 and source["name"] in refused.json()["detail"]
    assert (source_gone.status_code, target_gone.status_code) == (204, 204)
    assert (await api_client.get(f"/api/v1/queues/{target['name']}", headers=admin)).status_code == 404


async def test_every_role_reads_queues_and_skills_and_only_admins_and_supervisors_write(
    api_client: httpx.AsyncClient, admin: Headers, headers_for: HeadersFor
) -> None:
    queue = await make_queue(api_client, admin)
    for role in ("agent", "integrator"):
        headers = await headers_for(role)
        assert (await api_client.get("/api/v1/queues", headers=headers)).status_code == 200
        assert (await api_client.get(f"/api/v1/queues/{queue['name']}", headers=headers)).status_code == 200
        assert (await api_client.get("/api/v1/skills", headers=headers)).status_code == 200
        assert (await api_client.post("/api/v1/queues", json={"name": a_name("q")}, headers=headers)).status_code == 403
        assert (await api_client.put(f"/api/v1/queues/{queue['name']}", json={}, headers=headers)).status_code == 403
        assert (await api_client.delete(f"/api/v1/queues/{queue['name']}", headers=headers)).status_code == 403
        assert (await api_client.post("/api/v1/skills", json={"name": a_name("s")}, headers=headers)).status_code == 403
    supervisor = await headers_for("supervisor")
    assert (await api_client.put(f"/api/v1/queues/{queue['name']}", json={}, headers=supervisor)).status_code == 200
    assert (await api_client.post("/api/v1/skills", json={"name": a_name("s")}, headers=supervisor)).status_code == 201


async def test_skills_are_unique_and_languages_are_skills(api_client: httpx.AsyncClient, admin: Headers) -> None:
    name = await make_skill(api_client, admin)

    again = await api_client.post("/api/v1/skills", json={"name": name}, headers=admin)
    language = await api_client.post("/api/v1/skills", json={"name": "lang:pt_br"}, headers=admin)
    bad = await api_client.post("/api/v1/skills", json={"name": "lang:"}, headers=admin)

    assert again.status_code == 409
    assert language.status_code in (201, 409) and bad.status_code == 422
    assert name in [s["name"] for s in (await api_client.get("/api/v1/skills", headers=admin)).json()]


async def test_a_calls_routing_decisions_come_in_the_order_taken(
    api_client: httpx.AsyncClient, admin: Headers, journal: Journal, db_engine: AsyncEngine
) -> None:
    call_id = await journal.call()
    agent_id = uuid.uuid4()
    t0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    async with session_factory(db_engine)() as session:
        await record_routing_decision(
            session=session, call_id=call_id, decided_at=t0, trigger="call_arrived", queue="billing", rank=1,
            requirements={"any_of": [{"billing": 5}]}, excluded=[{"agent_id": str(agent_id), "reason": "not_ready"}],
            excluded_counts={"not_ready": 1},
        )
        await record_routing_decision(
            session=session, call_id=call_id, decided_at=t0 + timedelta(seconds=30), trigger="escalation",
            queue="billing", step={"index": 1, "text": "billing 3+"}, chosen_agent_id=agent_id, eligible=1,
            candidates=[{"agent_id": str(agent_id), "score": 7, "detail": "skill fit 7"}],
        )

    response = await api_client.get(f"/api/v1/calls/{call_id}/routing", headers=admin)

    assert response.status_code == 200, response.text
    first, second = response.json()
    assert (first["trigger"], first["outcome"], first["chosen_agent_id"]) == ("call_arrived", "waiting", None)
    assert first["excluded_counts"] == {"not_ready": 1}
    assert (second["trigger"], second["outcome"], second["chosen_agent_id"]) == ("escalation", "offered", str(agent_id))
    assert second["step"] == {"index": 1, "text": "billing 3+"} and second["eligible"] == 1


async def test_routing_of_a_call_never_routed_is_empty_and_of_an_unknown_call_404(
    api_client: httpx.AsyncClient, admin: Headers, journal: Journal
) -> None:
    call_id = await journal.call()

    assert (await api_client.get(f"/api/v1/calls/{call_id}/routing", headers=admin)).json() == []
    assert (await api_client.get(f"/api/v1/calls/{uuid.uuid4()}/routing", headers=admin)).status_code == 404
