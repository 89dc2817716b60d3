"""What benches share: a throw-away migrated database, the replay server as a child process, and a probe
on the journal writer that notes when each batch was committed."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import asyncpg
from sqlalchemy.engine import make_url

from ccserver.crm.journal import JournalWriter
from ccserver.crm.journal_rows import EVENT_COLUMNS
from ccserver.crm.migrate import run_migrations
from ccserver.crm.spool import RowBatch

T = TypeVar("T")

_OCCURRED_AT = EVENT_COLUMNS.index("occurred_at")


@contextlib.asynccontextmanager
async def bench_database(server_dsn: str) -> AsyncIterator[str]:
    """A new database `ccserver_bench_<hex>` migrated to head; dropped afterwards whatever happened.
    Yields its `postgresql://` DSN."""
    name = f"ccserver_bench_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server_dsn, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = make_url(server_dsn).set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(run_migrations, database_url=dsn)
        yield dsn
    finally:
        admin = await asyncpg.connect(server_dsn, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@dataclass
class ReplayProcess:
    """`python -m ccserver.bench.ami_replay` running beside us; `port` once it listens."""

    process: asyncio.subprocess.Process
    port: int

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@contextlib.asynccontextmanager
async def replay_process(
    trace: Path, *, copies: int, rate: float | None = None, seconds: float = 60.0
) -> AsyncIterator[ReplayProcess]:
    args = [sys.executable, "-m", "ccserver.bench.ami_replay", str(trace), "--copies", str(copies),
            "--seconds", str(seconds)]
    if rate is not None:
        args += ["--rate", str(rate)]
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    replay: ReplayProcess | None = None
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if not line.startswith("port="):
            raise RuntimeError(f"replay server did not start (said {line!r})")
        replay = ReplayProcess(process, int(line.split()[0].removeprefix("port=")))
        yield replay
    finally:
        if replay is None:
            process.kill()
            await process.wait()
        else:
            await replay.stop()


@dataclass
class BatchCommit:
    committed_at: float  # wall clock, just after COMMIT returned
    rows: int
    occurred_at: list[datetime] = field(default_factory=list)


class CommitProbe:
    """Wraps one writer's `_store` (bench only) to note each batch's commit time and its events' times."""

    def __init__(self, journal: JournalWriter, *, keep_times: bool) -> None:
        self.commits: list[BatchCommit] = []
        self._keep_times = keep_times
        store: Callable[[RowBatch], Awaitable[None]] = journal._store

        async def probed_store(batch: RowBatch) -> None:
            await store(batch)
            times = [row[_OCCURRED_AT] for row in batch.events] if self._keep_times else []
            self.commits.append(BatchCommit(time.time(), len(batch.events), times))

        journal._store = probed_store  # type: ignore[method-assign]

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.commits)

    def latencies(self) -> list[float]:
        """Seconds from each event's `Timestamp` to the commit of its batch."""
        return [c.committed_at - t.timestamp() for c in self.commits for t in c.occurred_at]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def wait_until(
    predicate: Callable[[], T | Awaitable[T]], *, timeout: float, what: str = "", poll: float = 0.005
) -> T:
    """Poll `predicate` (a plain or an async function, e.g. a query) until it is truthy and return what it
    returned; TimeoutError naming `what`."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                result = predicate()
                if inspect.isawaitable(result):
                    result = await result
                if result:
                    break
                await asyncio.sleep(poll)
    except TimeoutError:
        raise TimeoutError(f"waited {timeout} s for {what or 'a condition'}") from None
    return result
