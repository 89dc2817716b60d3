"""Offline replay of a recorded AMI byte stream through the same normaliser the live link feeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from ccserver.asterisk.ami_frames import FrameSplitter, FrameStats, is_switch_event, parse_frame
from ccserver.events.ami_fields import event_time
from ccserver.events.model import TrackedEvent
from ccserver.events.tracker import CallTracker

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # recordings carry Timestamp headers; this is never used then


def recorded_events(data: bytes, *, chunk: int = 65536, stats: FrameStats | None = None) -> Iterator[dict]:
    """The switch events in a recording (what `AmiLink` would have delivered), in order."""
    splitter = FrameSplitter(stats=stats)
    for start in range(0, len(data), chunk):
        for frame in splitter.feed(data[start : start + chunk]):
            headers = parse_frame(frame, splitter.stats)
            if headers is not None and is_switch_event(headers):
                yield headers


def replay(data: bytes, tracker: CallTracker, *, chunk: int = 65536) -> list[TrackedEvent]:
    entries = []
    for headers in recorded_events(data, chunk=chunk):
        entry = tracker.apply(headers, event_time(headers, _EPOCH))
        if entry is not None:
            entries.append(entry)
    return entries

