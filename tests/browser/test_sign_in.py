"""POST /api/v1/agent-sessions, the desktop's sign-in, over HTTP: the softphone's extension and SIP password
get an agent key that acts for that agent only; anything wrong gets one and the same 401."""

from __future__ import annotations

import random

import httpx
from contact_center import PASSWORD, an_agent
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.agents import create_agent
from ccserver.crm.database import session_factory
from ccserver.crm.tables import api_keys

SESSIONS = "/api/v1/agent-sessions"
REFUSED = "Unknown extension or wrong password."


async def test_the_extension_and_sip_password_get_a_key_for_that_agent_only(
    api_client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    sessions = session_factory(db_engine)
    agent, other = await an_agent(sessions), await an_agent(sessions, "Alan Turing")

    response = await api_client.post(SESSIONS, json={"extension": agent.extension, "password": PASSWORD})

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["agent_id"], body["name"], body["extension"]) == (str(agent.id), "Grace Hopper", agent.extension)
    bearer = {"Authorization": f"Bearer {body['key']}"}
    assert (await api_client.get(f"/api/v1/agents/{agent.id}", headers=bearer)).status_code == 200
    assert (await api_client.get(f"/api/v1/agents/{other.id}", headers=bearer)).status_code == 403
    async with sessions() as session:
        prefix = body["key"].split("_")[1]
        name, role = (await session.execute(
            select(api_keys.c.name, api_keys.c.role).where(api_keys.c.prefix == prefix))).one()
    assert name.startswith("desktop session ") and role == "agent"


async def test_a_wrong_password_an_unknown_extension_and_an_inactive_agent_all_get_the_same_401(
    api_client: httpx.AsyncClient, db_engine: AsyncEngine
) -> None:
    sessions = session_factory(db_engine)
    agent = await an_agent(sessions)
    async with sessions() as session:
        inactive = await create_agent(session=session, extension=str(random.randint(10**8, 10**9 - 1)),
                                      name="Gone Away", sip_password=PASSWORD, active=False)

    answers = [
        await api_client.post(SESSIONS, json={"extension": agent.extension, "password": "not-the-password"}),
        await api_client.post(SESSIONS, json={"extension": "1", "password": PASSWORD}),
        await api_client.post(SESSIONS, json={"extension": inactive.extension, "password": PASSWORD}),
    ]

    assert [(a.status_code, a.headers["content-type"], a.json()["detail"]) for a in answers] == [
        (401, "application/problem+json", REFUSED)
    ] * 3


async def test_a_sign_in_without_a_password_is_422(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post(SESSIONS, json={"extension": "1001"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "password"]
