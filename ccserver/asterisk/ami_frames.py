"""AMI wire format: bytes in, header dicts out.

Frames are split on the blank line *before* decoding, so a UTF-8 character cut across two TCP reads
arrives whole (panoramisk decodes each read on its own and drops such bytes). Bad input never
raises: it is counted, logged and skipped, and the connection carries on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import repeat

log = logging.getLogger(__name__)

FRAME_END = b"\r\n\r\n"
BANNER_PREFIX = b"Asterisk Call Manager/"

Headers = dict[str, "str | list[str]"]


@dataclass
class FrameStats:
    frames: int = 0
    oversized: int = 0
    malformed_lines: int = 0
    undecodable: int = 0
    not_ami: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def bad_input(self) -> int:
        return self.oversized + self.malformed_lines + self.undecodable + self.not_ami

    def note(self, problem: str) -> None:
        # Keep the first few for tests and diagnostics; logs carry the rest (rate-limited by caller).
        if len(self.problems) < 100:
            self.problems.append(problem)
        log.warning("AMI input skipped: %s", problem)


class FrameSplitter:
    """Turns a byte stream into complete frames, with a bound on frame size."""

    def __init__(self, *, max_frame_bytes: int = 256 * 1024, stats: FrameStats | None = None) -> None:
        self._buffer = bytearray()
        self._max = max_frame_bytes
        self._discarding = False
        self._banner_seen = False
        self.banner: str | None = None
        self.stats = stats or FrameStats()

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer
        buffer += data
        if not self._banner_seen:
            if not self._take_banner():
                return []
        frames: list[bytes] = []
        if FRAME_END not in buffer:
            complete: list[bytes] = []
        else:
            # One C-level split instead of a find and two copies per frame: `split` cuts at the same
            # non-overlapping FRAME_ENDs, left to right; the last piece is the unfinished frame.
            *complete, rest = bytes(buffer).split(FRAME_END)
            buffer[:] = rest
        for frame in complete:
            if self._discarding:
                self._discarding = False
                continue
            if len(frame) > self._max:
                self.stats.oversized += 1
                self.stats.note(f"oversized frame of {len(frame)} bytes")
                continue
            frames.append(frame)
        if len(buffer) > self._max:
            # No frame end in sight: drop what we have and resynchronise on the next blank line.
            self.stats.oversized += 1
            self.stats.note(f"oversized frame (>{self._max} bytes without an end), discarding")
            buffer.clear()
            self._discarding = True
        self.stats.frames += len(frames)
        return frames

    def _take_banner(self) -> bool:
        line_end = self._buffer.find(b"\r\n")
        if line_end < 0:
            return len(self._buffer) > 200  # not a banner at all: treat as frames
        self._banner_seen = True
        first_line = bytes(self._buffer[:line_end])
        if first_line.startswith(BANNER_PREFIX):
            self.banner = first_line.decode("ascii", "replace")
            del self._buffer[: line_end + 2]
        return True


def parse_frame(frame: bytes, stats: FrameStats | None = None) -> Headers | None:
    """Parse one frame into headers. Repeated headers become lists. None when it is not AMI."""
    try:
        text = frame.decode("utf-8")
    except UnicodeDecodeError:
        text = frame.decode("utf-8", "replace")
        if stats is not None:
            stats.undecodable += 1
            stats.note("frame with bytes that are not UTF-8; kept with U+FFFD in their place")
    else:
        headers = _parse_well_formed(text)
        if headers is not None:
            return headers
    return _parse_lines(text, stats)


def _parse_well_formed(text: str) -> Headers | None:
    """The common case in a few C-level passes: every line `Key: value`, no key twice, an Event or a
    Response. None for anything else, which `_parse_lines` then handles (and counts) line by line.
    Same result as `_parse_lines` whenever it returns one: a key holding no ":" means the first ": "
    is the first ":", so the value is what follows it less one space."""
    lines = text.split("\r\n")
    try:
        # `str.split(line, ": ", 1)` for each line; map with the method descriptor skips the per-line
        # attribute lookup a methodcaller does (about 1 µs a frame).
        headers: Headers = dict(map(str.split, lines, repeat(": "), repeat(1)))
    except ValueError:  # a line without ": "
        return None
    keys = "".join(headers)
    if len(headers) != len(lines) or ":" in keys or " " in keys or "" in headers:
        return None
    if "Event" not in headers and "Response" not in headers:
        return None
    return headers


def _parse_lines(text: str, stats: FrameStats | None) -> Headers | None:
    headers: Headers = {}
    for line in text.split("\r\n"):
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key:
            if line.strip() and stats is not None:
                stats.malformed_lines += 1
                stats.note(f"malformed line {line[:80]!r}")
            continue
        if value.startswith(" "):
            value = value[1:]
        previous = headers.get(key)
        if previous is None:
            headers[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            headers[key] = [previous, value]
    if "Event" not in headers and "Response" not in headers:
        if stats is not None and text.strip():
            stats.not_ami += 1
            stats.note(f"frame with neither Event nor Response: {text[:80]!r}")
        return None
    return headers


def is_action_reply(headers: Headers) -> bool:
    """A response, or an event that is part of a response (list actions carry the ActionID)."""
    return "Response" in headers or "ActionID" in headers


def is_switch_event(headers: Headers) -> bool:
    """An event the switch sent on its own: what the journal records. OriginateResponse carries its
    Originate's ActionID but is news about a channel, so it counts."""
    event = headers.get("Event")
    return event is not None and ("ActionID" not in headers or event == "OriginateResponse")
