"""Field types shared by the request schemas: text PostgreSQL can store, bounded sizes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, JsonValue, StringConstraints

from ccserver.crm.cursors import InvalidCursor, decode_cursor

MAX_LIMIT = 500
MAX_BIGINT = 2**63 - 1
MAX_INT = 2**31 - 1
_MAX_CUSTOM_FIELDS_BYTES = 16_384


def _storable(value: str) -> str:
    """PostgreSQL text holds neither NUL nor lone surrogates (which JSON can smuggle in as \\ud800)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _storable_json(value: Any) -> Any:
    _check_json(value)
    if len(json.dumps(value)) > _MAX_CUSTOM_FIELDS_BYTES:
        raise ValueError(f"must be at most {_MAX_CUSTOM_FIELDS_BYTES} bytes of JSON")
    return value


def _check_json(value: Any) -> None:
    """What jsonb refuses although Python's JSON reader accepts it: NUL, lone surrogates, NaN, Infinity."""
    if isinstance(value, str):
        _storable(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must not contain NaN or Infinity")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _check_json(item)
    elif isinstance(value, list):
        for item in value:
            _check_json(item)


def _utc(value: datetime) -> datetime:
    """A time without an offset is read as UTC; every time is stored and compared in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the supported range of years 1-9999 (UTC)") from None


def _cursor(value: str) -> str:
    try:
        decode_cursor(value)
    except InvalidCursor as exc:
        raise ValueError(str(exc)) from None
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_storable)]
NonEmptyText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_storable)
]
PhoneText = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_storable)]
EmailText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    AfterValidator(_storable),
]
CustomFields = Annotated[dict[str, JsonValue], AfterValidator(_storable_json)]
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
Cursor = Annotated[str, StringConstraints(max_length=200), AfterValidator(_cursor)]
