"""PostgreSQL goes away for 3 s in the middle of a burst of calls: the journal spills to disk, and once
the database is back every event is stored exactly once, in arrival order, with calls and legs right.

Uses a PostgreSQL cluster of its own (see private_postgres.py): stopping the shared one would break
every other test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from ccserver.backbone import Backbone
from ccserver.bench.ami_replay import AmiReplayServer, TraceFeed
from ccserver.bench.harness import wait_until
from ccserver.bench.ingest_check import check_database
from ccserver.bench.trace import copies_bytes, encode_copies, expect, load_event_frames
from ccserver.crm.migrate import run_migrations
from ccserver.crm.spool import Spool
from ccserver.events.model import TrackedEvent
from ccserver.metrics import Metrics
from ccserver.settings import Settings

from .private_postgres import PrivatePostgres
from .support import ANSWERED_AND_BUSY, normalise_us

COPIES = 40  # 4,760 AMI events -> 3,920 journal rows, 80 calls
RATE = 1000.0  # events/s: the burst lasts ~4.8 s
OUTAGE_AFTER = 1000  # events sent before PostgreSQL is stopped
OUTAGE_SECONDS = 3.0


class ArrivalIds:
    """A bus subscriber noting the id of every journal entry, in the order the tracker emitted them."""

    name = "test-arrival-ids"

    def __init__(self) -> None:
        self.ids: list[int] = []

    def offer(self, entry: TrackedEvent) -> None:
        self.ids.append(entry.id)


@pytest.fixture
async def private_pg() -> AsyncIterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        await pg.init()
        await pg.start()
        yield pg
    finally:
        await pg.destroy()


async def test_a_postgres_outage_mid_burst_loses_and_duplicates_nothing(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    dsn = private_pg.database_url("ccserver")
    await asyncio.to_thread(run_migrations, database_url=dsn)
    frames = load_event_frames(ANSWERED_AND_BUSY)
    expected = expect(copies_bytes(frames, COPIES), switch_id="replay", normalise_phone=normalise_us)
    spool = Spool(tmp_path / "spool")
    feed = TraceFeed(encode_copies(frames, COPIES), rate=RATE, stamp=False)  # the trace's own times

    async with AmiReplayServer(feed, max_seconds=60) as server:
        settings = Settings(
            database_url=dsn, ami_url=f"ami://t:t@127.0.0.1:{server.port}?switch=replay",
            spool_dir=spool.directory, journal_memory_limit=500, default_region="US",
        )
        backbone = Backbone.build(settings, Metrics())
        arrivals = ArrivalIds()
        backbone.bus.subscribe(arrivals)
        spooled_files_seen = 0
        await backbone.start()
        try:
            await backbone.wait_switches_ready(10)
            await wait_until(lambda: feed.sent >= OUTAGE_AFTER, timeout=20)
            await private_pg.stop()
            for _ in range(int(OUTAGE_SECONDS / 0.05)):
                spooled_files_seen = max(spooled_files_seen, len(spool.files()))
                await asyncio.sleep(0.05)
            written_during_outage = backbone.journal.written
            await private_pg.start()
            await asyncio.wait_for(server.finished.wait(), 30)
            await backbone.journal.wait_idle(30)
        finally:
            await backbone.stop()

    assert spooled_files_seen > 0, "memory limit of 500 entries should have spilled batches to disk"
    assert spool.files() == [] and not (spool.directory / "rejected").exists()
    assert backbone.journal.written > written_during_outage

    assert len(arrivals.ids) == len(expected.events)
    assert arrivals.ids == sorted(set(arrivals.ids)), "ids strictly increase in arrival order"
    conn = await asyncpg.connect(dsn)
    try:
        stored_ids = [r["id"] for r in await conn.fetch("SELECT id FROM call_events ORDER BY id")]
    finally:
        await conn.close()
    assert stored_ids == arrivals.ids  # every emitted entry exactly once, none invented

    _, problems = await check_database(dsn, expected, ignore_times=False)
    assert problems == []  # journal rows in order, calls and legs as the offline normaliser says
