"""The journal writer: a bus subscriber that stores every entry, in order, exactly once.

Entries are batched (COPY for the journal, pipelined upserts for calls/legs/bridges, one transaction
per batch). When PostgreSQL is away, batches wait in memory; past `memory_limit` entries they spill to
the on-disk spool; when it returns, the spool is written first, then memory, so order holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

import asyncpg

from ccserver.crm.journal_rows import (
    EVENT_COLUMNS,
    UPSERT_BRIDGE,
    UPSERT_CALL,
    UPSERT_IVR_SESSION,
    UPSERT_LEG,
    bridge_row,
    call_row,
    event_row,
    ivr_session_row,
    leg_row,
)
from ccserver.crm.spool import RowBatch, Spool
from ccserver.events.model import Bridge, Call, Entity, IvrSession, Leg, TrackedEvent
from ccserver.metrics import Metrics

log = logging.getLogger(__name__)

# SQLSTATE classes that mean "try again later" rather than "this batch is wrong".
# SQLSTATE classes in which PostgreSQL says the rows themselves are wrong (data exception, integrity
# violation): retrying cannot help, so such a batch is set aside.
_BAD_DATA_CLASSES = {"22", "23"}


class DatabaseUnavailable(Exception):
    """Storing a batch failed in a way worth retrying later."""


def _refused_as_bad_data(exc: Exception) -> bool:
    """Only PostgreSQL refusing the rows makes a batch hopeless. A server going away mid-COPY shows up
    as many other things (OSError, InterfaceError, asyncpg's InternalClientError "cannot switch to
    state", admin shutdown, an undefined table before `ccserver migrate`): all mean "later"."""
    return isinstance(exc, asyncpg.PostgresError) and (exc.sqlstate or "")[:2] in _BAD_DATA_CLASSES


class JournalWriter:
    name = "journal"

    def __init__(
        self,
        *,
        dsn: str,
        spool: Spool,
        metrics: Metrics,
        batch_size: int = 2000,
        flush_interval: float = 0.05,
        memory_limit: int = 50_000,
    ) -> None:
        self._dsn = dsn
        self._spool = spool
        self._metrics = metrics
        self._batch_size = batch_size
        self._wake_at = min(batch_size, 1000)  # do not wait out the flush interval with this much queued
        self._flush_interval = flush_interval
        self._memory_limit = memory_limit
        self._pending: deque[TrackedEvent] = deque()
        self._held: deque[RowBatch] = deque()  # built, waiting for the database
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._conn: asyncpg.Connection | None = None
        self.db_up = False
        self._outage_logged = False
        self.written = 0

    # ---- bus side --------------------------------------------------------------------------------

    def offer(self, entry: TrackedEvent) -> None:
        pending = self._pending
        if not pending:
            # `_idle` is only ever set with nothing pending, so clearing it on the first entry is
            # enough (and spares an Event.clear() call per entry).
            self._idle.clear()
        pending.append(entry)
        if len(pending) >= self._wake_at:
            self._wake.set()

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Until everything offered so far is stored (tests and orderly shutdown)."""
        self._wake.set()
        async with asyncio.timeout(timeout):
            while self._pending or self._held or self._spool.files():
                self._idle.clear()
                await self._idle.wait()

    @property
    def buffered(self) -> int:
        return len(self._pending) + sum(len(b.events) for b in self._held)

    # ---- writer task -------------------------------------------------------------------------------

    async def run(self) -> None:
        delay = 0.2
        while True:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation at a timeout.
            try:
                async with asyncio.timeout(self._flush_interval):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                await self._drain()
                delay = 0.2
            except DatabaseUnavailable as exc:
                self._database_down(exc.__cause__ or exc)
                self._spill_if_needed()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            self._update_gauges()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _drain(self) -> None:
        for path in self._spool.files():
            await self._store(Spool.read(path))
            Spool.remove(path)
        while self._held or self._pending:
            if not self._held:
                self._held.append(self._build(self._batch_size))
            await self._store(self._held[0])
            self._held.popleft()
        self._idle.set()

    def _build(self, limit: int) -> RowBatch:
        events: list[tuple[Any, ...]] = []
        touched: dict[Any, Entity] = {}
        pending = self._pending
        while pending and len(events) < limit:
            entry = pending.popleft()
            events.append(event_row(entry))
            for entity in entry.touched:
                touched[entity.id.int] = entity  # .int: same key as the UUID, without its Python __hash__
        return RowBatch(
            events=events,
            calls=[call_row(e) for e in touched.values() if isinstance(e, Call)],
            legs=[leg_row(e) for e in touched.values() if isinstance(e, Leg)],
            bridges=[bridge_row(e) for e in touched.values() if isinstance(e, Bridge)],
            ivr_sessions=[ivr_session_row(e) for e in touched.values() if isinstance(e, IvrSession)],
        )

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            try:
                self._conn = await asyncpg.connect(self._dsn, timeout=5)
            except Exception as exc:  # refused, unknown host, auth, starting up: all "try later"
                raise DatabaseUnavailable(str(exc)) from exc
        return self._conn

    async def _store(self, batch: RowBatch) -> None:
        started = time.perf_counter()
        conn = await self._connection()
        try:
            async with conn.transaction():
                if batch.calls:
                    await conn.executemany(UPSERT_CALL, batch.calls)
                if batch.legs:
                    await conn.executemany(UPSERT_LEG, batch.legs)
                if batch.bridges:
                    await conn.executemany(UPSERT_BRIDGE, batch.bridges)
                if batch.ivr_sessions:
                    await conn.executemany(UPSERT_IVR_SESSION, batch.ivr_sessions)
                if batch.retried:
                    await self._insert_once(conn, batch.events)
                elif batch.events:
                    await conn.copy_records_to_table("call_events", records=batch.events, columns=EVENT_COLUMNS)
        except Exception as exc:
            if _refused_as_bad_data(exc):
                self._reject(batch, exc)
                return
            batch.retried = True  # the commit may or may not have happened
            if self._conn is not None and not self._conn.is_closed():
                self._conn.terminate()
            self._conn = None
            raise DatabaseUnavailable(str(exc)) from exc
        self._database_up()
        self.written += len(batch.events)
        self._metrics.journal_written.inc(len(batch.events))
        self._metrics.journal_batch_seconds.observe(time.perf_counter() - started)

    @staticmethod
    async def _insert_once(conn: asyncpg.Connection, events: list[tuple[Any, ...]]) -> None:
        await conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS call_events_retry (LIKE call_events) ON COMMIT DELETE ROWS"
        )
        await conn.copy_records_to_table("call_events_retry", records=events, columns=EVENT_COLUMNS)
        await conn.execute(
            "INSERT INTO call_events SELECT * FROM call_events_retry ORDER BY id ON CONFLICT (switch_id, id) DO NOTHING"
        )

    def _reject(self, batch: RowBatch, exc: BaseException) -> None:
        dead = Spool(self._spool.directory / "rejected")
        path = dead.write(batch)
        self._metrics.journal_dead.inc()
        log.error("journal: PostgreSQL refused a batch of %d events (%s); kept in %s", len(batch.events), exc, path)

    def _spill_if_needed(self) -> None:
        if self.buffered <= self._memory_limit:
            return
        while self._pending:
            self._held.append(self._build(self._batch_size))
        spilled = dropped = 0
        while self._held:
            batch = self._held.popleft()
            try:
                self._spool.write(batch)
                spilled += len(batch.events)
            except OSError as exc:  # full (our bound or the disk's): the one place events are lost
                dropped += len(batch.events)
                self._metrics.journal_dropped.inc(len(batch.events))
                log.error("journal: cannot spool %d events (%s); they are lost", len(batch.events), exc)
        if spilled:
            log.warning("journal: PostgreSQL unavailable, spilled %d events to %s", spilled, self._spool.directory)

    def _database_down(self, exc: BaseException) -> None:
        if self.db_up or not self._outage_logged:
            self._outage_logged = True
            log.warning("journal: PostgreSQL unavailable (%s); buffering %d events", exc, self.buffered)
        self.db_up = False
        self._metrics.journal_db_up.set(0)

    def _database_up(self) -> None:
        if not self.db_up:
            log.info("journal: writing to PostgreSQL")
        self.db_up = True
        self._outage_logged = False
        self._metrics.journal_db_up.set(1)

    def _update_gauges(self) -> None:
        self._metrics.journal_buffered.set(self.buffered)
        if not self.db_up:
            self._metrics.journal_spooled.set(len(self._spool.files()))
        else:
            self._metrics.journal_spooled.set(0)
