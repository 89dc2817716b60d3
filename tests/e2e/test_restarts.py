"""Restarts mid-call: of Asterisk, and of ccserver itself. Afterwards the journal and the call rows
say exactly what happened, every event once and in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from ccserver.backbone import Backbone
from ccserver.bench.harness import wait_until
from ccserver.crm.migrate import run_migrations
from ccserver.metrics import Metrics
from ccserver.sandbox.service import SandboxInfo, restart_asterisk
from ccserver.settings import Settings
from tests.conftest import scratch_database
from tests.e2e.conftest import PROJECT_DIR
from tests.e2e.switch import live_legs, place_inbound_call, wait_call_row_ended

pytestmark = pytest.mark.sandbox


async def _events(dsn: str, call_id) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT id, event, raw FROM call_events WHERE call_id = $1 ORDER BY id", call_id)
    finally:
        await conn.close()


def _bridged(backbone: Backbone, linkedid: str):
    tracker = backbone.switches["sandbox"].ingest.tracker
    return lambda: any(g.bridge_id for g in live_legs(tracker, linkedid) if g.role == "dialed")


async def test_asterisk_restart_mid_call_closes_the_call_after_resync(backbone: Backbone, asyncpg_dsn: str) -> None:
    link = backbone.switches["sandbox"].link
    linkedid = await place_inbound_call(link, did="20160", caller_stays=60)
    await wait_until(_bridged(backbone, linkedid), timeout=15, what="call bridged")
    logins = link.logins

    await asyncio.to_thread(restart_asterisk, PROJECT_DIR)
    await wait_until(lambda: link.logins > logins and link.ready.is_set(), timeout=60, what="AMI back")

    call = await wait_call_row_ended(asyncpg_dsn, linkedid, timeout=30)
    await backbone.journal.wait_idle()
    assert call["outcome"] == "answered" and call["stale"] is False
    events = await _events(asyncpg_dsn, call["id"])
    names = [e["event"] for e in events]
    assert "ccserver.LinkLost" in names
    assert names.count("ccserver.LegGone") >= 1 and names[-1] == "ccserver.LegGone"
    ids = [e["id"] for e in events]
    assert ids == sorted(set(ids))
    assert call["hangup_cause_text"] in (None, "channel no longer on the switch", "Normal Clearing")


@pytest.fixture
async def separate_db(pg_server_dsn: str):
    async with scratch_database(pg_server_dsn) as url:
        await asyncio.to_thread(run_migrations, database_url=url, revision="head")
        yield url


async def test_ccserver_restart_mid_call_resumes_the_calls_it_had(
    sandbox: SandboxInfo, separate_db: str, tmp_path: Path
) -> None:
    """One call ends while ccserver is down, one goes on: after the restart both are right."""
    settings = Settings(
        database_url=separate_db, ami_url=sandbox.ami_url, spool_dir=tmp_path, ami_ping_interval=1.0,
    )
    dsn = settings.asyncpg_dsn
    first = Backbone.build(settings, Metrics())
    await first.start()
    await first.wait_switches_ready(30)
    link = first.switches["sandbox"].link
    short = await place_inbound_call(link, did="20103", caller_stays=30)  # talks 3 s
    long = await place_inbound_call(link, did="20112", caller_stays=30)  # talks 12 s
    await wait_until(_bridged(first, short), timeout=15, what="short call bridged")
    await wait_until(_bridged(first, long), timeout=15, what="long call bridged")
    await first.stop()  # ccserver goes away; the switch carries on

    await asyncio.sleep(5)  # the short call ends meanwhile, unseen
    second = Backbone.build(settings, Metrics())
    await second.start()
    try:
        await second.wait_switches_ready(30)
        short_row = await wait_call_row_ended(dsn, short, timeout=30)
        long_row = await wait_call_row_ended(dsn, long, timeout=30)
        await second.journal.wait_idle()
    finally:
        await second.stop()

    short_names = [e["event"] for e in await _events(dsn, short_row["id"])]
    assert short_names[-1] == "ccserver.LegGone"  # found gone at resync
    assert short_row["outcome"] == "answered"

    long_events = await _events(dsn, long_row["id"])
    long_names = [e["event"] for e in long_events]
    assert "ccserver.Resynced" in long_names and long_names[-1] == "Hangup"  # seen to its real end
    assert long_row["outcome"] == "answered" and long_row["hangup_cause"] == 16
    assert 11 <= (long_row["ended_at"] - long_row["answered_at"]).total_seconds() <= 13.5
    ids = [e["id"] for e in long_events]
    assert ids == sorted(set(ids))
