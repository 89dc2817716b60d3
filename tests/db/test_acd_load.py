"""`ccserver acd load`: the demo acd.yaml goes into a fresh database; loading it again changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver import cli
from ccserver.asterisk.pjsip_agents import digest_ha1
from ccserver.crm.acd_file import AcdSpec, load_acd, read_acd_file
from ccserver.crm.agents import list_agents
from ccserver.crm.database import create_engine, session_factory
from ccserver.crm.migrate import run_migrations
from ccserver.crm.queues import get_queue
from ccserver.crm.tables import agents

DEMO = Path(__file__).resolve().parents[2] / "dialplans" / "acd.yaml"


@pytest.fixture
async def engine(empty_db_url: str) -> AsyncIterator[AsyncEngine]:
    await asyncio.to_thread(run_migrations, database_url=empty_db_url)
    engine = create_engine(database_url=empty_db_url, pooled=False)
    try:
        yield engine
    finally:
        await engine.dispose()


def demo() -> AcdSpec:
    spec, problems = read_acd_file(DEMO)
    assert spec is not None, problems
    return spec


async def test_demo_loads_then_loading_again_changes_nothing(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        first = await load_acd(session=session, spec=demo())
        second = await load_acd(session=session, spec=demo())
        page = await list_agents(session=session, limit=50)
        billing = await get_queue(session=session, name="billing")
        ha1 = (await session.execute(select(agents.c.sip_ha1).where(agents.c.extension == "1001"))).scalar_one()

    assert first.counts["agents"] == {"created": 6} and first.counts["queues"] == {"created": 5}
    assert second.counts["agents"] == {"unchanged": 6} and second.counts["queues"] == {"unchanged": 5}
    assert sorted(a.extension for a in page.items) == ["1001", "1002", "1003", "1004", "1005", "1006"]
    assert all(a.version == 1 and a.state.state == "logged_out" for a in page.items)
    assert billing.version == 1 and billing.config == demo().queues["billing"]
    assert ha1 == digest_ha1("1001", "demo-1001-secret")


async def test_an_edited_file_updates_only_what_changed(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    spec = demo()
    edited_agents = {**spec.agents, "1003": spec.agents["1003"].model_copy(update={"skills": {"technical": 2}})}
    edited_queues = {**spec.queues, "general": spec.queues["general"].model_copy(update={"priority": 50})}
    edited = spec.model_copy(update={"agents": edited_agents, "queues": edited_queues})
    async with sessions() as session:
        await load_acd(session=session, spec=spec)
        report = await load_acd(session=session, spec=edited)
        page = await list_agents(session=session, limit=50, extension="1003")
        general = await get_queue(session=session, name="general")

    assert report.counts["agents"] == {"unchanged": 5, "updated": 1}
    assert report.counts["queues"] == {"unchanged": 4, "updated": 1}
    assert page.items[0].skills == {"technical": 2} and page.items[0].version == 2
    assert general.config.priority == 50 and general.version == 2


def test_cli_loads_the_file_and_writes_the_pjsip_endpoints(
    empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_migrations(database_url=empty_db_url)
    monkeypatch.setenv("CCSERVER_DATABASE_URL", empty_db_url)
    monkeypatch.setenv("CCSERVER_ASTERISK_CONF_DIR", str(tmp_path))
    monkeypatch.setenv("CCSERVER_AMI_URL", "")

    assert cli.main(["acd", "load", str(DEMO)]) == 0

    out = capsys.readouterr().out
    assert "agents: 6 created" in out and "PJSIP endpoints: written" in out
    conf = (tmp_path / "pjsip_agents.conf").read_text()
    assert all(f"[{ext}](agent-endpoint)" in conf for ext in ("1001", "1002", "1003", "1004", "1005", "1006"))


def test_cli_refuses_a_broken_file_with_file_line_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "acd.yaml"
    broken.write_text("queues:\n  billing:\n    strategy: random\n")

    assert cli.main(["acd", "load", str(broken)]) == 1

    err = capsys.readouterr().err
    assert f"{broken}:3: queues.billing.strategy: Input should be" in err
    assert "not loaded (1 problem)" in err
