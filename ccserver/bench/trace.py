"""Recorded AMI traces: their event frames, distinct copies of them, and what the normaliser makes of them.

A trace is the raw bytes a client received after Login (banner included). Replaying it N times needs N
sets of distinct calls, so copy `k` (k >= 1) gets `-c<k>` appended to every uniqueid, linkedid and
bridge id, and a new hex counter in every channel name (`Local/5@sim-caller-00010003;1`); copy 0 is the
trace as recorded. The offline `Expectation` runs the very bytes the replay server sends through
`FrameSplitter`, `parse_frame` and `CallTracker`, so a live run can be checked row for row.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccserver.asterisk.ami_frames import FRAME_END, FrameSplitter, FrameStats, parse_frame
from ccserver.crm.journal_rows import bridge_row, call_row, event_row, leg_row
from ccserver.events.ami_fields import event_time
from ccserver.events.journal_ids import JournalIds
from ccserver.events.model import Bridge, Call, Leg, TrackedEvent
from ccserver.events.replay import recorded_events
from ccserver.events.tracker import CallTracker

_ID_KEY = re.compile(r"(Uniqueid|Linkedid)$")
_CHANNEL_KEY = re.compile(r"(Channel|Newname|Oldname)$")
_CHANNEL_COUNTER = re.compile(r"-([0-9a-f]{8})((?:;\d)?)$")
TIMESTAMP = b"Timestamp: "
_NO_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)  # "received at" for the few events without a Timestamp

# Which columns of the journal and its entities are times.
TIME_COLUMNS = frozenset({
    "started_at", "answered_at", "ended_at", "created_at", "ringing_at", "hungup_at", "occurred_at", "received_at",
})


def event_frames(raw: bytes) -> list[bytes]:
    """The event frames of a recorded stream, without their terminator: no banner, no Response frames."""
    splitter = FrameSplitter(max_frame_bytes=len(raw) + 1)
    frames = []
    for frame in splitter.feed(raw):
        headers = parse_frame(frame)
        if headers is not None and "Event" in headers:
            frames.append(frame)
    return frames


def load_event_frames(path: str | Path) -> list[bytes]:
    return event_frames(Path(path).read_bytes())


def _rewrite_line(line: str, copy: int) -> str:
    key, sep, value = line.partition(": ")
    if not sep or not value:
        return line
    if _ID_KEY.search(key):
        return f"{key}: {value}-c{copy}"
    if _CHANNEL_KEY.search(key):
        counter = _CHANNEL_COUNTER.search(value)
        if counter:
            renumbered = f"-{copy:04x}{int(counter.group(1), 16) & 0xFFFF:04x}{counter.group(2)}"
            return f"{key}: {value[: counter.start()]}{renumbered}"
    return line


def copy_frame(frame: bytes, copy: int) -> bytes:
    """Frame `frame` as it appears in copy `copy` (copy 0 is the frame itself)."""
    if copy == 0:
        return frame
    text = frame.decode("utf-8", "surrogateescape")
    lines = [_rewrite_line(line, copy) for line in text.split("\r\n")]
    return "\r\n".join(lines).encode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class StampSlot:
    """A frame cut around its Timestamp value, so the sender can stamp it without re-encoding."""

    head: bytes  # up to and including "Timestamp: " (or the whole frame when it has none)
    value: bytes  # the recorded Timestamp value
    tail: bytes | None  # from the line end after the value, terminator included


def stamp_slot(frame: bytes) -> StampSlot:
    at = frame.find(TIMESTAMP)
    if at < 0 or (at > 0 and frame[at - 2 : at] != b"\r\n"):
        return StampSlot(frame + FRAME_END, b"", None)
    value_start = at + len(TIMESTAMP)
    value_end = frame.find(b"\r\n", value_start)
    if value_end < 0:
        value_end = len(frame)
    return StampSlot(frame[:value_start], frame[value_start:value_end], frame[value_end:] + FRAME_END)


def encode_copies(frames: Sequence[bytes], copies: int, *, first_copy: int = 0) -> list[StampSlot]:
    """Every frame of every copy, in sending order, ready to stamp."""
    return [stamp_slot(copy_frame(f, c)) for c in range(first_copy, first_copy + copies) for f in frames]


def copies_bytes(frames: Sequence[bytes], copies: int, *, first_copy: int = 0) -> bytes:
    """The copies exactly as sent with the trace's own timestamps."""
    return b"".join(copy_frame(f, c) + FRAME_END for c in range(first_copy, first_copy + copies) for f in frames)


# ---- the offline expectation -----------------------------------------------------------------------

@dataclass
class Expectation:
    """What the normaliser makes of a stream: journal rows in order, final call/leg/bridge rows."""

    ami_events: int = 0
    entries: list[TrackedEvent] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    calls: dict[uuid.UUID, tuple[Any, ...]] = field(default_factory=dict)
    legs: dict[uuid.UUID, tuple[Any, ...]] = field(default_factory=dict)
    bridges: dict[uuid.UUID, tuple[Any, ...]] = field(default_factory=dict)
    stats: FrameStats = field(default_factory=FrameStats)
    tracker: CallTracker | None = None


def expect(
    stream: bytes, *, switch_id: str, normalise_phone: Callable[[str], str | None], chunk: int = 65536,
    keep_entries: bool = False,
) -> Expectation:
    """Feed `stream` through the real splitter, parser and tracker, offline, `chunk` bytes at a time."""
    out = Expectation()
    tracker = CallTracker(switch_id, ids=JournalIds(), normalise_phone=normalise_phone)
    out.tracker = tracker
    for headers in recorded_events(stream, chunk=chunk, stats=out.stats):
        out.ami_events += 1
        entry = tracker.apply(headers, event_time(headers, _NO_TIMESTAMP))
        if entry is None:
            continue
        if keep_entries:
            out.entries.append(entry)
        out.events.append(event_row(entry))
        for entity in entry.touched:  # the row as of its last change: what the journal upserts
            if isinstance(entity, Call):
                out.calls[entity.id] = call_row(entity)
            elif isinstance(entity, Leg):
                out.legs[entity.id] = leg_row(entity)
            elif isinstance(entity, Bridge):
                out.bridges[entity.id] = bridge_row(entity)
    return out


def comparable(row: Sequence[Any], columns: Sequence[str], *, ignore_times: bool) -> tuple[Any, ...]:
    """A row to compare with another run's: times reduced to "set or not" when they were re-stamped."""
    if not ignore_times:
        return tuple(row)
    return tuple((v is not None) if c in TIME_COLUMNS else v for c, v in zip(columns, row, strict=True))
