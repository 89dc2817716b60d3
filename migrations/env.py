"""Alembic environment: runs the migrations over asyncpg.

The URL is `config.attributes["database_url"]` when `ccserver.crm.migrate` passes one (tests point it
at their own database), else CCSERVER_DATABASE_URL through `Settings`.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from ccserver.crm.database import create_engine
from ccserver.crm.tables import metadata

config = context.config


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from ccserver.settings import Settings

    return Settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str) -> None:
    engine = create_engine(database_url=url, pooled=False)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online(_database_url()))
