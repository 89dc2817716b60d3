"""Each agent's desktop stream: numbered messages, kept a while so that a page that reconnects resumes
after the last one it saw and a network blip never loses a screen-pop.

Numbers count per agent within one `epoch` (this process). A page that saw another epoch (ccserver
restarted), or that fell further behind than the kept messages reach, starts again from a snapshot:
the agent's state and the call in hand.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

KEPT_PER_AGENT = 500


@dataclass(frozen=True, slots=True)
class DeskMessage:
    seq: int
    kind: str  # state | offer | screenpop | answered | ended | snapshot
    at: float
    data: dict[str, Any]

    def frame(self, epoch: str) -> str:
        # default=str: ids and times read from the database (asyncpg's UUID, Decimal) as text
        return orjson.dumps({"epoch": epoch, "seq": self.seq, "kind": self.kind, "at": self.at,
                             "data": self.data}, default=str).decode()


@dataclass
class _AgentLog:
    messages: deque[DeskMessage] = field(default_factory=lambda: deque(maxlen=KEPT_PER_AGENT))
    last_seq: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    state: dict[str, Any] = field(default_factory=dict)  # the latest `state` message's data
    call: dict[str, Any] | None = None  # the call in hand: its offer, merged with its screen-pop


class AgentFeed:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.epoch = uuid.uuid4().hex[:12]
        self._clock = clock
        self._logs: dict[str, _AgentLog] = {}

    def _log(self, agent_id: str) -> _AgentLog:
        log = self._logs.get(agent_id)
        if log is None:
            log = self._logs[agent_id] = _AgentLog()
        return log

    def publish(self, agent_id: str, kind: str, data: dict[str, Any]) -> DeskMessage:
        log = self._log(agent_id)
        log.last_seq += 1
        message = DeskMessage(log.last_seq, kind, self._clock(), data)
        log.messages.append(message)
        if kind == "state":
            log.state = data
        elif kind in ("offer", "screenpop", "answered") and (kind == "offer" or _same_call(log.call, data)):
            log.call = {**(log.call or {}), **data} if kind != "offer" else dict(data)
        elif kind == "ended" and _same_call(log.call, data):
            log.call = None
        log.changed.set()
        log.changed = asyncio.Event()  # waiters hold the old one, which is now set
        return message

    def snapshot(self, agent_id: str) -> DeskMessage:
        """Where the agent stands now, numbered as the latest message: resume after it."""
        log = self._log(agent_id)
        return DeskMessage(log.last_seq, "snapshot", self._clock(), {"state": log.state, "call": log.call})

    def since(self, agent_id: str, after: int) -> list[DeskMessage] | None:
        """The messages after `after`, or None when some of them are no longer kept (or `after` is
        not a number this feed gave)."""
        log = self._log(agent_id)
        if after > log.last_seq or after < 0:
            return None
        if after == log.last_seq:
            return []
        first = log.messages[0].seq if log.messages else log.last_seq + 1
        if after + 1 < first:
            return None
        return [m for m in log.messages if m.seq > after]

    async def wait(self, agent_id: str, after: int, timeout: float) -> None:
        """Until a message after `after` is published, or `timeout` passes."""
        log = self._log(agent_id)
        if log.last_seq > after:
            return
        try:
            async with asyncio.timeout(timeout):
                await log.changed.wait()
        except TimeoutError:
            pass


def _same_call(call: dict[str, Any] | None, data: dict[str, Any]) -> bool:
    return call is not None and call.get("call_id") == data.get("call_id")
