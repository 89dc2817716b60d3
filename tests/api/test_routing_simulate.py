"""POST /api/v1/routing/simulate: the live engine's decisions on the configured agents, without a switch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from acd_factory import make_agent, make_queue, make_skill

Headers = dict[str, str]


async def _ready(client: httpx.AsyncClient, admin: Headers, agent_id: str) -> None:
    response = await client.post(f"/api/v1/agents/{agent_id}/state", json={"state": "ready"}, headers=admin)
    assert response.status_code == 200, response.text


async def test_simulation_picks_the_skilled_agent_and_says_why_the_other_was_left_out(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    billing = await make_skill(api_client, admin, "billing")
    expert = await make_agent(api_client, admin, name="Expert", skills={billing: 8})
    novice = await make_agent(api_client, admin, name="Novice", skills={billing: 3})
    for agent in (expert, novice):
        await _ready(api_client, admin, agent["id"])
    queue = await make_queue(
        api_client, admin, required_skills={billing: 5},
        escalation=[{"after_s": 30, "action": "relax_skill", "skill": billing, "min_level": 3}],
    )

    response = await api_client.post(
        "/api/v1/routing/simulate", json={"waiting": [{"call_id": "c1", "queue": queue["name"]}]}, headers=admin,
    )

    assert response.status_code == 200, response.text
    (decision,) = response.json()["decisions"]
    assert decision["call_id"] == "c1" and decision["agent_id"] == expert["id"]
    excluded = {e["agent_id"]: e["reason"] for e in decision["excluded"]}
    assert billing in excluded[novice["id"]]
    assert [a["type"] for a in response.json()["actions"]] == ["OfferCall"]


async def test_a_trial_escalation_reaches_the_novice_once_the_call_has_waited(
    api_client: httpx.AsyncClient, admin: Headers
) -> None:
    billing = await make_skill(api_client, admin, "billing")
    expert = await make_agent(api_client, admin, name="Expert", skills={billing: 8})
    novice = await make_agent(api_client, admin, name="Novice", skills={billing: 3})
    await _ready(api_client, admin, novice["id"])
    queue = await make_queue(api_client, admin, required_skills={billing: 5})
    trial = {"required_skills": {billing: 5}, "escalation": [
        {"after_s": 30, "action": "relax_skill", "skill": billing, "min_level": 3},
    ]}
    body = {
        "waiting": [{"call_id": "long-wait", "queue": queue["name"], "waited_s": 45}],
        "agent_states": {expert["id"]: "logged_out"},
    }

    as_loaded = await api_client.post("/api/v1/routing/simulate", json=body, headers=admin)
    with_trial = await api_client.post(
        "/api/v1/routing/simulate", json={**body, "queues": [{"name": queue["name"], "config": trial}]},
        headers=admin,
    )

    assert [d["agent_id"] for d in as_loaded.json()["decisions"]] in ([], [None])
    assert [d["agent_id"] for d in with_trial.json()["decisions"]][-1] == novice["id"]


async def test_simulation_is_for_admins_and_supervisors_and_checks_its_body(
    api_client: httpx.AsyncClient, admin: Headers, headers_for: Callable[[str], Awaitable[Headers]]
) -> None:
    body = {"waiting": []}
    for role, expected in (("supervisor", 200), ("integrator", 403), ("agent", 403)):
        response = await api_client.post("/api/v1/routing/simulate", json=body, headers=await headers_for(role))
        assert response.status_code == expected, (role, response.text)
    bad = await api_client.post("/api/v1/routing/simulate", json={"waiting": [{"queue": "x"}]}, headers=admin)
    assert bad.status_code == 422
