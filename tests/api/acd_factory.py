"""Helpers for the ACD's REST tests: unique names, skills, agents and queues made over REST, and a stand-in
for the switches that records the module reloads it is asked for."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx

Headers = dict[str, str]


def a_name(prefix: str) -> str:
    """A skill, queue or reason name no other test uses (the test database is shared)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def an_extension() -> str:
    return str(random.randint(10**8, 10**9 - 1))


class RecordingSwitches:
    """Stands in for the SwitchGateway: records each module reload; a switch named in `down` fails."""

    def __init__(self, *switch_ids: str) -> None:
        self.ids = list(switch_ids) or ["pbx1"]
        self.down: set[str] = set()
        self.reloads: list[tuple[str, str]] = []

    def switch_ids(self) -> list[str]:
        return self.ids

    async def reload_module(self, switch_id: str, module: str) -> str:
        if switch_id in self.down:
            raise RuntimeError(f"{switch_id} is down")
        self.reloads.append((switch_id, module))
        return "Module Reloaded"


async def make_skill(client: httpx.AsyncClient, headers: Headers, prefix: str = "skill") -> str:
    name = a_name(prefix)
    response = await client.post("/api/v1/skills", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return name


async def make_agent(client: httpx.AsyncClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    body = {"extension": an_extension(), "name": "Ada Lovelace", "sip_password": "correct-horse", **fields}
    response = await client.post("/api/v1/agents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    agent: dict[str, Any] = response.json()
    return agent


async def make_queue(client: httpx.AsyncClient, headers: Headers, **fields: Any) -> dict[str, Any]:
    body = {"name": a_name("q"), **fields}
    response = await client.post("/api/v1/queues", json=body, headers=headers)
    assert response.status_code == 201, response.text
    queue: dict[str, Any] = response.json()
    return queue


async def agent_key_headers(client: httpx.AsyncClient, admin: Headers, agent_id: str) -> Headers:
    """Headers with a new agent-role key bound to `agent_id`."""
    response = await client.post(f"/api/v1/agents/{agent_id}/api-keys", json={"name": "desktop"}, headers=admin)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}
