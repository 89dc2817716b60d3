"""Session fixtures shared by the whole suite: a real PostgreSQL database migrated by the same code
path as `ccserver migrate`, an engine on it, API keys, and an HTTP client over the ASGI app.

Set CCSERVER_TEST_PG to use another PostgreSQL server (any database on it; the tests create their own).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import httpx
import pytest
from acd_events import AcdEvents
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.crm.apikeys import Role, create_api_key
from ccserver.crm.database import create_engine, session_factory
from ccserver.crm.migrate import run_migrations
from ccserver.settings import Settings

ApiKeyFactory = Callable[[str], Awaitable[str]]

# Fixtures made only where a test asks for them: the live ACD's end-to-end ones (`env`, `served`,
# `everyone_logged_out`) and Debian's headless Chromium (`browser`, `page`).
pytest_plugins = ["tests.e2e.acd_env", "tests.browser.chromium"]


def pytest_configure(config: pytest.Config) -> None:
    # `timeout`, CI cancellation and `kill` send SIGTERM; as an interrupt it still runs fixture
    # teardown, so the scratch databases below are dropped instead of left behind.
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    return os.environ.get("CCSERVER_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.asynccontextmanager
async def scratch_database(server_dsn: str) -> AsyncIterator[str]:
    """A new empty database `ccserver_test_<hex>`, dropped afterwards whatever happened. Yields its
    `postgresql+asyncpg://` URL."""
    name = f"ccserver_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        url = make_url(server_dsn).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def migrated_db_url(pg_server_dsn: str) -> AsyncIterator[str]:
    async with scratch_database(pg_server_dsn) as url:
        # Alembic's env.py runs its own event loop, so it gets a thread of its own.
        await asyncio.to_thread(run_migrations, database_url=url, revision="head")
        yield url


@pytest.fixture
async def empty_db_url(pg_server_dsn: str) -> AsyncIterator[str]:
    """A fresh database with no schema at all, for tests that migrate it themselves."""
    async with scratch_database(pg_server_dsn) as url:
        yield url


@pytest.fixture(scope="session")
def asyncpg_dsn(migrated_db_url: str) -> str:
    """The same database as a plain `postgresql://` DSN, for asyncpg itself."""
    return Settings(database_url=migrated_db_url).asyncpg_dsn


@pytest.fixture(scope="session")
async def db_engine(migrated_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url=migrated_db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def api_key_factory(db_engine: AsyncEngine) -> ApiKeyFactory:
    """`await api_key_factory("agent")` -> a new key with that role, ready for `Authorization: Bearer`."""
    sessions = session_factory(db_engine)

    async def make(role: str) -> str:
        async with sessions() as session:
            _, key = await create_api_key(session=session, role=Role(role), name=f"test {role}")
        return key

    return make


@pytest.fixture
def test_settings(migrated_db_url: str) -> Settings:
    return Settings(database_url=migrated_db_url, default_region="US")


@pytest.fixture
async def api_client(test_settings: Settings, db_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """Unauthenticated client on a fresh `create_app`; add `Authorization` per request."""
    app = create_app(settings=test_settings, engine=db_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ccserver.test") as client:
        yield client


@pytest.fixture
def acd_events(db_engine: AsyncEngine) -> AcdEvents:
    """Writes the ACD's journal events (queued, answered, left) for the queue figures' tests."""
    return AcdEvents(db_engine)
