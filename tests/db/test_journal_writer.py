"""The journal writer against a real PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from ccserver.crm.journal import JournalWriter
from ccserver.crm.spool import Spool
from ccserver.events.journal_ids import JournalIds
from ccserver.events.replay import replay
from ccserver.events.tracker import CallTracker
from ccserver.metrics import Metrics

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "sandbox_scenarios.raw"


def _entries(switch_id: str):
    # The same fake clock for both: every journal id collides across the two switches.
    ticks = iter(range(1, 1_000_000))
    tracker = CallTracker(switch_id, ids=JournalIds(clock_us=lambda: next(ticks)), normalise_phone=lambda n: None)
    return replay(TRACE.read_bytes(), tracker)


async def test_two_ccservers_on_different_switches_share_a_database(asyncpg_dsn: str, tmp_path: Path) -> None:
    dsn = asyncpg_dsn
    writers = [
        JournalWriter(dsn=dsn, spool=Spool(tmp_path / name), metrics=Metrics(), batch_size=500)
        for name in ("a", "b")
    ]
    tasks = [asyncio.create_task(w.run()) for w in writers]
    try:
        for writer, switch_id in zip(writers, ("share-a", "share-b"), strict=True):
            for entry in _entries(switch_id):
                writer.offer(entry)
        await asyncio.gather(*(w.wait_idle(30) for w in writers))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in writers:
            await writer.close()
    conn = await asyncpg.connect(dsn)
    try:
        counts = dict(await conn.fetch(
            "SELECT switch_id, count(*) FROM call_events WHERE switch_id LIKE 'share-%' GROUP BY 1"
        ))
    finally:
        await conn.close()
    expected = len(_entries("x"))
    assert counts == {"share-a": expected, "share-b": expected}
    assert not (tmp_path / "a" / "rejected").exists() and not (tmp_path / "b" / "rejected").exists()


async def test_a_batch_sent_twice_is_stored_once(asyncpg_dsn: str, tmp_path: Path) -> None:
    """After an unclear commit the writer re-sends the batch: the journal keeps one copy."""
    dsn = asyncpg_dsn
    switch_id = "twice"
    entries = _entries(switch_id)
    writer = JournalWriter(dsn=dsn, spool=Spool(tmp_path), metrics=Metrics(), batch_size=100_000)
    for entry in entries:
        writer.offer(entry)
    batch = writer._build(100_000)
    await writer._store(batch)
    batch.retried = True  # what the writer marks after a connection lost during COMMIT
    await writer._store(batch)
    await writer.close()
    conn = await asyncpg.connect(dsn)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM call_events WHERE switch_id = $1", switch_id)
    finally:
        await conn.close()
    assert stored == len(entries)
