"""Journal ids: increasing in arrival order, unique across restarts of one ccserver.

An id is the arrival time in microseconds, bumped by one when two events share a microsecond. The
journal's primary key is this id, so a batch re-sent after an unclear failure is recognised.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class JournalIds:
    def __init__(self, clock_us: Callable[[], int] = lambda: time.time_ns() // 1000, floor: int = 0) -> None:
        self._clock_us = clock_us
        self._last = floor

    def next(self) -> int:
        now = self._clock_us()
        self._last = now if now > self._last else self._last + 1
        return self._last

    def advance_past(self, value: int) -> None:
        """Never hand out an id at or below `value` (the highest id already in the journal)."""
        if value > self._last:
            self._last = value
