"""The Alembic migrations are the only way the schema is made: they must build exactly tables.py."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from ccserver import cli
from ccserver.crm.database import create_engine
from ccserver.crm.migrate import alembic_config, run_migrations
from ccserver.crm.tables import metadata

CATALOG = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '')
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'alembic_version'""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> 'alembic_version'""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'alembic_version'""",
}


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


async def _catalog(url: str) -> dict[str, set[tuple[Any, ...]]]:
    conn = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return {name: {tuple(r) for r in await conn.fetch(sql)} for name, sql in CATALOG.items()}
    finally:
        await conn.close()


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config(database_url="unused")).get_current_head()
    assert head is not None
    return head


async def test_upgrade_from_empty_to_head_creates_every_table(empty_db_url: str) -> None:
    assert await _tables(empty_db_url) == set()

    await asyncio.to_thread(run_migrations, database_url=empty_db_url, revision="head")

    assert await _tables(empty_db_url) == set(metadata.tables) | {"alembic_version"}
    conn = await asyncpg.connect(_asyncpg_dsn(empty_db_url))
    try:
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == _head()
    finally:
        await conn.close()


async def test_migrated_schema_matches_tables_py(migrated_db_url: str) -> None:
    engine = create_engine(database_url=migrated_db_url, pooled=False)
    try:
        async with engine.connect() as conn:
            diffs = await conn.run_sync(_diffs)
    finally:
        await engine.dispose()
    assert diffs == []


async def test_compare_notices_a_drifted_schema(empty_db_url: str) -> None:
    """Guards the test above: a hand-made change to a migrated database must show up as a diff."""
    await asyncio.to_thread(run_migrations, database_url=empty_db_url)
    engine = create_engine(database_url=empty_db_url, pooled=False)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE customers ALTER COLUMN tier SET DEFAULT 'gold'"))
            await conn.execute(text("DROP INDEX ix_legs_call"))
        async with engine.connect() as conn:
            diffs = await conn.run_sync(_diffs)
    finally:
        await engine.dispose()
    kinds = {d[0][0] if isinstance(d, list) else d[0] for d in diffs}
    assert {"modify_default", "add_index"} <= kinds


async def test_catalog_is_identical_to_one_built_from_tables_py(
    migrated_db_url: str, empty_db_url: str
) -> None:
    """Covers what compare_metadata skips, such as the WHERE clause of partial indexes."""
    engine = create_engine(database_url=empty_db_url, pooled=False)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await engine.dispose()

    migrated, reference = await _catalog(migrated_db_url), await _catalog(empty_db_url)

    for part in CATALOG:
        assert migrated[part] == reference[part], part


async def test_downgrade_to_base_leaves_no_tables_and_upgrades_again(empty_db_url: str) -> None:
    await asyncio.to_thread(run_migrations, database_url=empty_db_url, revision="head")

    await asyncio.to_thread(run_migrations, database_url=empty_db_url, revision="base", downgrade=True)
    assert await _tables(empty_db_url) <= {"alembic_version"}

    await asyncio.to_thread(run_migrations, database_url=empty_db_url, revision="head")
    assert set(metadata.tables) <= await _tables(empty_db_url)


async def test_ccserver_migrate_creates_the_database_and_rolls_back(
    pg_server_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"ccserver_test_cli_{secrets.token_hex(6)}"  # does not exist yet: migrate must create it
    url = make_url(pg_server_dsn).set(drivername="postgresql+asyncpg", database=name)
    url_text = url.render_as_string(hide_password=False)
    monkeypatch.setenv("CCSERVER_DATABASE_URL", url_text)
    try:
        assert await asyncio.to_thread(cli.main, ["migrate"]) == 0
        assert set(metadata.tables) <= await _tables(url_text)
        assert "upgraded to head" in capsys.readouterr().out

        assert await asyncio.to_thread(cli.main, ["migrate", "base", "--downgrade"]) == 0
        assert await _tables(url_text) <= {"alembic_version"}
    finally:
        admin = await asyncpg.connect(pg_server_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def test_ccserver_migrate_fails_clearly_without_a_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CCSERVER_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")

    assert await asyncio.to_thread(cli.main, ["migrate"]) == 1

    err = capsys.readouterr().err
    assert "cannot migrate the database at postgresql+asyncpg://postgres@127.0.0.1:1/nowhere" in err
