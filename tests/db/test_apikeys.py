"""`ccserver apikey create` prints a key once; only its hash is kept; it authenticates with its role."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver import cli
from ccserver.crm.apikeys import Role, authenticate, generate_key, hash_key
from ccserver.crm.database import session_factory

KEY = re.compile(r"^ccs_[0-9a-f]{8}_[0-9A-Za-z]{32}$")


def test_generated_keys_have_the_documented_shape_and_differ() -> None:
    keys = {generate_key()[1] for _ in range(200)}

    assert len(keys) == 200
    assert all(KEY.match(k) for k in keys)


async def test_apikey_create_prints_a_working_key_once(
    migrated_db_url: str,
    db_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CCSERVER_DATABASE_URL", migrated_db_url)

    code = await asyncio.to_thread(
        cli.main, ["apikey", "create", "--role", "supervisor", "--name", "wallboard"]
    )

    out = capsys.readouterr().out.strip()
    assert code == 0
    assert KEY.match(out), out
    async with session_factory(db_engine)() as session:
        key = await authenticate(session=session, key=out)
        wrong = await authenticate(session=session, key=out[:-4] + "0000")
    assert key is not None and (key.role, key.name) == (Role.SUPERVISOR, "wallboard")
    assert key.prefix == out.split("_")[1]
    assert wrong is None


def test_hash_covers_the_whole_key() -> None:
    prefix, key = generate_key()
    assert hash_key(key) != hash_key(f"ccs_{prefix}_{'0' * 32}")
    assert len(hash_key(key)) == 64


async def test_apikey_create_on_an_unmigrated_database_says_so(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CCSERVER_DATABASE_URL", empty_db_url)

    code = await asyncio.to_thread(cli.main, ["apikey", "create", "--role", "agent", "--name", "x"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert "not migrated" in captured.err and "ccserver migrate" in captured.err


async def test_apikey_create_without_a_database_fails_clearly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CCSERVER_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")

    code = await asyncio.to_thread(cli.main, ["apikey", "create", "--role", "agent", "--name", "x"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert "cannot use the database at postgresql+asyncpg://postgres@127.0.0.1:1/nowhere" in captured.err
