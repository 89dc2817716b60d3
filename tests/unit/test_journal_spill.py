"""While PostgreSQL is unreachable the journal keeps entries in memory, then on disk, within bounds."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import pytest

from ccserver.crm.journal import JournalWriter
from ccserver.crm.phones import to_e164
from ccserver.crm.spool import Spool
from ccserver.events.journal_ids import JournalIds
from ccserver.events.replay import replay
from ccserver.events.tracker import CallTracker
from ccserver.metrics import Metrics

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "sandbox_scenarios.raw"
NOWHERE = "postgresql://postgres@127.0.0.1:9/none"  # discard port: connection refused at once


def _entries():
    tracker = CallTracker("sandbox", ids=JournalIds(), normalise_phone=partial(to_e164, default_region="US"))
    return replay(TRACE.read_bytes(), tracker)


async def _run_briefly(writer: JournalWriter, seconds: float = 0.6) -> None:
    task = asyncio.create_task(writer.run())
    await asyncio.sleep(seconds)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_entries_past_the_memory_limit_spill_to_the_spool_in_order(tmp_path: Path) -> None:
    metrics = Metrics()
    writer = JournalWriter(dsn=NOWHERE, spool=Spool(tmp_path), metrics=metrics, batch_size=50, memory_limit=100)
    entries = _entries()
    for entry in entries:
        writer.offer(entry)
    await _run_briefly(writer)
    files = Spool(tmp_path).files()
    assert files and writer.buffered == 0 and not writer.db_up
    spooled_ids = [row[0] for path in files for row in Spool.read(path).events]
    assert spooled_ids == [e.id for e in entries]  # all of them, once, in arrival order
    assert metrics.registry.get_sample_value("ccserver_journal_database_up") == 0


async def test_a_full_spool_drops_and_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics()
    spool = Spool(tmp_path, max_bytes=1)  # the first batch fills it
    writer = JournalWriter(dsn=NOWHERE, spool=spool, metrics=metrics, batch_size=50, memory_limit=100)
    entries = _entries()
    for entry in entries:
        writer.offer(entry)
    await _run_briefly(writer)
    spooled = sum(len(Spool.read(p).events) for p in spool.files())
    dropped = metrics.registry.get_sample_value("ccserver_journal_events_dropped_total")
    assert spooled == 50 and dropped == len(entries) - 50
    assert "they are lost" in caplog.text


def test_only_postgresql_refusing_the_rows_sets_a_batch_aside() -> None:
    import asyncpg
    from asyncpg.exceptions import _base as asyncpg_base

    from ccserver.crm.journal import _refused_as_bad_data

    assert _refused_as_bad_data(asyncpg.UniqueViolationError("duplicate key"))
    assert _refused_as_bad_data(asyncpg.InvalidTextRepresentationError("bad value"))
    # what a server going away mid-COPY looks like: retried, never dropped
    assert not _refused_as_bad_data(asyncpg_base.InternalClientError("cannot switch to state 15"))
    assert not _refused_as_bad_data(asyncpg.AdminShutdownError("terminating connection"))
    assert not _refused_as_bad_data(asyncpg.UndefinedTableError("relation does not exist"))
    assert not _refused_as_bad_data(ConnectionResetError())
