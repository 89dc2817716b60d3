"""Writes what the live ACD decided to PostgreSQL, in order, off the routing path.

Ringing an agent never waits for the database: the ACD queues its records here and a supervised
writer stores them in batches (one transaction each). If the database is away the records wait and
are written, in order, once it is back. `flush()` waits for everything queued so far (the REST call
that changes an agent's state answers once its change is stored).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm import acd_rows
from ccserver.crm.acd_rows import HeldCall
from ccserver.routing.agent_states import Transition
from ccserver.routing.decisions import Decision

log = logging.getLogger(__name__)

BATCH = 500
RETRY_S = 1.0


@dataclass(frozen=True, slots=True)
class _Put:
    call: HeldCall


@dataclass(frozen=True, slots=True)
class _Drop:
    call_id: str


class AcdStore:
    def __init__(self, sessions: Callable[[], AsyncSession]) -> None:
        self._sessions = sessions
        self._pending: deque[Any] = deque()
        self._queued = 0  # items ever queued
        self._written = 0  # items ever written
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self.failures = 0

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def transitions(self, changes: list[Transition], source: str) -> None:
        self._add([(change, source) for change in changes])

    def decisions(self, decisions: list[Decision], switch_of: Callable[[str], str | None]) -> None:
        self._add([acd_rows.decision_row(d, switch_of(d.call_id)) for d in decisions])

    def put(self, call: HeldCall) -> None:
        self._add([_Put(call)])

    def drop(self, call_id: str) -> None:
        self._add([_Drop(call_id)])

    def _add(self, items: list[Any]) -> None:
        if items:
            self._pending.extend(items)
            self._queued += len(items)
            self._wake.set()

    async def flush(self, timeout: float = 10.0) -> None:
        target = self._queued
        async with asyncio.timeout(timeout), self._progress:
            await self._progress.wait_for(lambda: self._written >= target)

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = [self._pending[i] for i in range(min(BATCH, len(self._pending)))]
                try:
                    await self._write(batch)
                except Exception as exc:  # database away: keep the records, try again
                    self.failures += 1
                    log.warning("ACD store: %d records not written yet (%s); retrying", len(self._pending), exc)
                    await asyncio.sleep(RETRY_S)
                    continue
                for _ in batch:
                    self._pending.popleft()
                self._written += len(batch)
                async with self._progress:
                    self._progress.notify_all()

    async def _write(self, batch: list[Any]) -> None:
        async with self._sessions() as session, session.begin():
            run: list[Any] = []
            for item in batch:  # consecutive items of one kind go together, the order between kinds is kept
                if run and type(item) is not type(run[0]):
                    await _write_run(session, run)
                    run = []
                run.append(item)
            if run:
                await _write_run(session, run)


async def _write_run(session: AsyncSession, run: list[Any]) -> None:
    first = run[0]
    if isinstance(first, tuple):
        await acd_rows.write_transitions(session, [(t, s) for t, s in run if isinstance(t, Transition)])
    elif isinstance(first, dict):
        await acd_rows.write_decisions(session, run)
    elif isinstance(first, _Put):
        for item in run:
            await acd_rows.put_held(session, item.call)
    else:
        for item in run:
            await acd_rows.drop_held(session, item.call_id)
