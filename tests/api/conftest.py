"""Helpers for the REST tests: headers for each role, and a `journal` to write call rows with."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest
from calls_factory import Journal
from sqlalchemy.ext.asyncio import AsyncEngine

Headers = dict[str, str]


@pytest.fixture(scope="session")
def headers_for(api_key_factory: Callable[[str], Awaitable[str]]) -> Callable[[str], Awaitable[Headers]]:
    cache: dict[str, Headers] = {}

    async def headers(role: str) -> Headers:
        if role not in cache:
            cache[role] = {"Authorization": f"Bearer {await api_key_factory(role)}"}
        return cache[role]

    return headers


@pytest.fixture
async def admin(headers_for: Callable[[str], Awaitable[Headers]]) -> Headers:
    return await headers_for("admin")


@pytest.fixture
def switch_id() -> str:
    """A switch name of this test's own, so rows other tests insert never show up in its queries."""
    return f"pbx-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def journal(db_engine: AsyncEngine, switch_id: str) -> Journal:
    return Journal(db_engine, switch_id)
