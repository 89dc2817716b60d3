"""The wallboard's figures, built once for all its readers: the live ACD's view (at most a second old)
and today's figures from the journal (read from PostgreSQL at most every 5 s), whatever the number of
wallboards open. REST (/api/v1/wallboard, /api/v1/queues/{name}/stats) and /ws/wallboard read it."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.acd.live_view import LiveWallboard
from ccserver.api.deps import LiveAcdDesk
from ccserver.api.schemas.wallboard import QueueStatsOut, QueueToday, WallboardAgent, WallboardOut
from ccserver.crm.acd_stats import QueueFigures, queue_figures, start_of_day

log = logging.getLogger(__name__)

LIVE_MAX_AGE_S = 1.0
TODAY_MAX_AGE_S = 5.0


class AcdUnavailable(Exception):
    """No live ACD in this process, or it has not loaded its configuration yet."""


@dataclass(frozen=True, slots=True)
class Board:
    at: datetime
    out: WallboardOut
    version: int  # changes only when what the board shows (apart from `at`) changes
    frame: str  # the /ws/wallboard message: `out` as JSON, with "at"


@dataclass(frozen=True, slots=True)
class _Today:
    key: tuple[datetime, tuple[tuple[str, float], ...]]  # window start, thresholds
    figures: dict[str, QueueFigures]
    read_at: float


class WallboardFeed:
    def __init__(
        self, *, acd: LiveAcdDesk | None, sessions: Callable[[], AsyncSession],
        monotonic: Callable[[], float] = time.monotonic,
        live_max_age_s: float = LIVE_MAX_AGE_S, today_max_age_s: float = TODAY_MAX_AGE_S,
    ) -> None:
        self._acd = acd
        self._sessions = sessions
        self._monotonic = monotonic
        self._live_max_age_s = live_max_age_s
        self._today_max_age_s = today_max_age_s
        self._lock = asyncio.Lock()
        self._board: Board | None = None
        self._built_at = 0.0
        self._today: _Today | None = None
        self._body: dict[str, object] | None = None  # the last board's, as JSON
        self._version = 0

    async def board(self) -> Board:
        """The current board; raises AcdUnavailable when there is no live ACD to show."""
        acd = self._acd
        if acd is None or not acd.loaded:
            raise AcdUnavailable()
        async with self._lock:  # readers arriving together share one build
            if self._board is None or self._monotonic() - self._built_at >= self._live_max_age_s:
                self._board = await self._build(acd.wallboard())
                self._built_at = self._monotonic()
            return self._board

    async def _build(self, live: LiveWallboard) -> Board:
        at = datetime.fromtimestamp(live.at, UTC)
        since = start_of_day(at)
        figures = await self._figures(since, {q.name: q.sl_threshold_s for q in live.queues})
        out = WallboardOut(
            queues=[QueueStatsOut.of(q, QueueToday.of(figures.get(q.name) or QueueFigures(q.name), since))
                    for q in live.queues],
            agents=[WallboardAgent.of(a) for a in live.agents],
        )
        body = out.model_dump(mode="json")
        if body != self._body:
            self._body, self._version = body, self._version + 1
        stamp = at.isoformat().replace("+00:00", "Z")  # as pydantic writes the board's other times
        return Board(at=at, out=out, version=self._version, frame=json.dumps({"at": stamp, **body}))

    async def _figures(self, since: datetime, thresholds_s: dict[str, float]) -> dict[str, QueueFigures]:
        key = (since, tuple(sorted(thresholds_s.items())))
        cached, now = self._today, self._monotonic()
        if cached is not None and cached.key == key and now - cached.read_at < self._today_max_age_s:
            return cached.figures
        try:
            async with self._sessions() as session:
                figures = await queue_figures(session=session, thresholds_s=thresholds_s, start=since)
        except Exception as exc:
            if cached is None or cached.key[0] != since:
                raise
            log.warning("wallboard: today's figures not read again (%s); showing those of before", exc)
            self._today = _Today(cached.key, cached.figures, now)  # try again after the usual age
            return cached.figures
        self._today = _Today(key, figures, now)
        return figures
