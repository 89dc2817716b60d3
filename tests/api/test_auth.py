"""Bearer API keys: 401 without a valid one, 403 for a role that may not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.apikeys import hash_key
from ccserver.crm.tables import api_keys

Headers = dict[str, str]
HeadersFor = Callable[[str], Awaitable[Headers]]
ROLES = ["admin", "supervisor", "agent", "integrator"]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic YWRtaW46c2VjcmV0",
        "Bearer not-a-key",
        "Bearer ccs_00000000_" + "A" * 32,  # well-formed, never issued
    ],
)
async def test_request_without_a_valid_key_is_401_with_bearer_challenge(
    api_client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await api_client.get("/api/v1/calls", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_tampered_secret_is_refused(
    api_client: httpx.AsyncClient, api_key_factory: Callable[[str], Awaitable[str]]
) -> None:
    key = await api_key_factory("admin")
    tampered = key[:-1] + ("a" if key[-1] != "a" else "b")

    response = await api_client.get("/api/v1/calls", headers={"Authorization": f"Bearer {tampered}"})

    assert response.status_code == 401


async def test_revoked_key_is_refused(
    api_client: httpx.AsyncClient, api_key_factory: Callable[[str], Awaitable[str]], db_engine: AsyncEngine
) -> None:
    key = await api_key_factory("admin")
    headers = {"Authorization": f"Bearer {key}"}
    assert (await api_client.get("/api/v1/calls", headers=headers)).status_code == 200

    async with db_engine.begin() as conn:
        await conn.execute(
            update(api_keys).where(api_keys.c.key_hash == hash_key(key)).values(revoked_at=func.now())
        )

    assert (await api_client.get("/api/v1/calls", headers=headers)).status_code == 401


async def test_only_a_hash_is_stored_and_use_is_recorded(
    api_client: httpx.AsyncClient, api_key_factory: Callable[[str], Awaitable[str]], db_engine: AsyncEngine
) -> None:
    key = await api_key_factory("agent")
    prefix = key.split("_")[1]

    await api_client.get("/api/v1/calls", headers={"Authorization": f"Bearer {key}"})

    async with db_engine.connect() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.prefix == prefix))).mappings().one()
    assert row["key_hash"] == hash_key(key) and key not in row.values()
    assert row["role"] == "agent"
    assert row["last_used_at"] is not None


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_reads_calls_and_customers(
    api_client: httpx.AsyncClient, headers_for: HeadersFor, role: str
) -> None:
    headers = await headers_for(role)

    for url in ("/api/v1/calls", "/api/v1/customers"):
        assert (await api_client.get(url, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 201), ("supervisor", 201), ("integrator", 201), ("agent", 403)]
)
async def test_only_non_agents_create_customers(
    api_client: httpx.AsyncClient, headers_for: HeadersFor, role: str, status: int
) -> None:
    response = await api_client.post("/api/v1/customers", json={"name": "X"}, headers=await headers_for(role))

    assert response.status_code == status
    if status == 403:
        assert response.headers["content-type"] == "application/problem+json"


async def test_agent_may_not_change_or_delete_a_customer(
    api_client: httpx.AsyncClient, headers_for: HeadersFor, admin: Headers
) -> None:
    customer = (await api_client.post("/api/v1/customers", json={"name": "X"}, headers=admin)).json()
    url = f"/api/v1/customers/{customer['id']}"
    agent = await headers_for("agent")

    assert (await api_client.patch(url, json={"tier": "gold"}, headers=agent)).status_code == 403
    assert (await api_client.delete(url, headers=agent)).status_code == 403
    assert (await api_client.get(url, headers=agent)).json()["version"] == 1
