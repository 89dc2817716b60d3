"""Opening hours: weekly ranges in an IANA time zone, minus holidays. Pure: the time is passed in.

The parse_* functions read the strings of a flow file and raise ValueError with a message an
operator can act on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class BusinessHours:
    timezone: str
    weekly: tuple[tuple[int, int, int], ...]  # (weekday 0=Monday, start minute, end minute), end exclusive
    holidays: frozenset[date] = frozenset()

    def is_open(self, now: datetime) -> bool:
        """Whether `now` (naive means UTC) falls in an opening range, local time, on a non-holiday."""
        aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
        local = aware.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute
        weekday = local.weekday()
        return any(day == weekday and start <= minute < end for day, start, end in self.weekly)


def parse_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as America/New_York)") from None
    return name


def parse_days(spec: str) -> tuple[int, ...]:
    """`mon-fri`, `sat`, `mon,wed,fri`, `fri-mon` (wrapping over the weekend) -> weekdays, Monday = 0."""
    days: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        for name in (first, last) if last else (first,):
            if name not in DAYS:
                where = f" in {spec!r}" if spec != name else ""
                raise ValueError(f"unknown day {name!r}{where} (days are {' '.join(DAYS)})")
        start, end = DAYS.index(first), DAYS.index(last or first)
        days += [(start + offset) % 7 for offset in range((end - start) % 7 + 1)]
    return tuple(dict.fromkeys(days))


def _minutes(text: str, *, is_end: bool) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"bad time {text.strip()!r} (use HH:MM)")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not is_end)):
        raise ValueError(f"bad time {text.strip()!r}: no such time of day")
    return hours * 60 + minutes


def parse_ranges(spec: str) -> tuple[tuple[int, int], ...]:
    """`08:00-12:00, 13:00-18:00` -> ((480, 720), (780, 1080)); `closed` -> (). `24:00` may end a range."""
    if spec.strip().lower() == "closed":
        return ()
    ranges = []
    for part in spec.split(","):
        start_text, dash, end_text = part.partition("-")
        if not dash:
            raise ValueError(f"bad range {part.strip()!r} (use HH:MM-HH:MM)")
        start, end = _minutes(start_text, is_end=False), _minutes(end_text, is_end=True)
        if end <= start:
            raise ValueError(f"range {part.strip()!r} ends before it starts")
        ranges.append((start, end))
    return tuple(ranges)


def parse_holiday(text: str) -> date:
    if not _DATE.match(text.strip()):
        raise ValueError(f"bad date {text!r} (use YYYY-MM-DD)")
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"bad date {text!r}: no such day") from None


DaysAndRanges = tuple[tuple[int, ...], tuple[tuple[int, int], ...]]


def weekly_ranges(entries: Iterable[DaysAndRanges]) -> tuple[tuple[int, int, int], ...]:
    """(days, ranges) pairs -> the flat, sorted weekly table BusinessHours keeps."""
    return tuple(sorted({(day, start, end) for days, ranges in entries for day in days for start, end in ranges}))
