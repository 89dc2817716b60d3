"""Reading AMI headers: values, caller ids, event times, channel names. Pure helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

_UNKNOWN_CALLER_ID = {"", "<unknown>", "unknown", "anonymous"}


def value(headers: dict[str, Any], key: str) -> str:
    value = headers.get(key, "")
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def caller_id(value: str) -> str | None:
    return None if value.strip().lower() in _UNKNOWN_CALLER_ID else value


def event_time(headers: dict[str, Any], received_at: datetime) -> datetime:
    stamp = value(headers, "Timestamp")
    if stamp:
        try:
            return datetime.fromtimestamp(float(stamp), UTC)  # tz positional: 0.1 µs cheaper than tz=
        except (ValueError, OverflowError):
            pass
    return received_at


def split_channel(channel: str) -> tuple[str, str | None]:
    """`PJSIP/1001-0000002a` -> (PJSIP, 1001); `Local/20102@sim-callee-00000004;1` -> (Local, 20102@sim-callee)."""
    tech, sep, rest = channel.partition("/")
    if not sep:
        return channel or "unknown", None
    if tech == "Local":
        rest = rest.rsplit(";", 1)[0]
    name, dash, suffix = rest.rpartition("-")
    if dash and suffix and all(c in "0123456789abcdef" for c in suffix.lower()):
        rest = name
    return tech, rest or None


def duration(value: str) -> timedelta:
    try:
        hours, minutes, seconds = (int(p) for p in value.split(":"))
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except ValueError:
        return timedelta(0)
