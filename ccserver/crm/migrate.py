"""`ccserver migrate`: apply (or roll back) the Alembic migrations in `migrations/`.

`run_migrations` is the one code path; the command and the test fixtures both call it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import ccserver
from ccserver.crm.database import async_database_url

_REPO_ROOT = Path(ccserver.__file__).resolve().parent.parent


def alembic_ini_path() -> Path:
    """`alembic.ini` beside the package (repo root), found whatever the current directory is."""
    candidates = [_REPO_ROOT / "alembic.ini", Path.cwd() / "alembic.ini"]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"alembic.ini not found (looked in {', '.join(map(str, candidates))})")


def alembic_config(*, database_url: str) -> Config:
    config = Config(str(alembic_ini_path()))
    config.attributes["database_url"] = async_database_url(database_url)
    return config


def run_migrations(*, database_url: str, revision: str = "head", downgrade: bool = False) -> None:
    """Upgrade (or downgrade) to `revision`. Synchronous: call it from a thread inside an event loop."""
    config = alembic_config(database_url=database_url)
    if downgrade:
        command.downgrade(config, revision)
    else:
        asyncio.run(ensure_database(database_url=database_url))
        command.upgrade(config, revision)


async def ensure_database(*, database_url: str) -> bool:
    """Create the target database if it does not exist yet. True when it was created."""
    url = make_url(async_database_url(database_url))
    name = url.database
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return False
    admin_dsn = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    except asyncpg.DuplicateDatabaseError:
        return False
    finally:
        await conn.close()
    return True


def migrate_command(*, revision: str = "head", downgrade: bool = False) -> int:
    from ccserver.settings import Settings

    # Show alembic's "Running upgrade ... -> ..." lines on stderr, as `alembic` itself would.
    logging.basicConfig(format="%(message)s")
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)
    database_url = Settings().database_url
    shown = make_url(async_database_url(database_url)).render_as_string(hide_password=True)
    action = "downgraded" if downgrade else "upgraded"
    try:
        run_migrations(database_url=database_url, revision=revision, downgrade=downgrade)
    except (OSError, asyncpg.PostgresError, SQLAlchemyError) as exc:
        print(f"ccserver migrate: cannot migrate the database at {shown}: {exc}", file=sys.stderr)
        print("  (is PostgreSQL running and CCSERVER_DATABASE_URL right?)", file=sys.stderr)
        return 1
    except (CommandError, FileNotFoundError) as exc:
        print(f"ccserver migrate: {exc}", file=sys.stderr)
        return 1
    print(f"{shown}: {action} to {revision}")
    return 0
