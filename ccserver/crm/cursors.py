"""Opaque keyset cursors: base64 of the (timestamp, id) of the last row a page showed."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from uuid import UUID


class InvalidCursor(ValueError):
    pass


def encode_cursor(at: datetime, row_id: UUID) -> str:
    payload = json.dumps([at.isoformat(), str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at_text, id_text = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        at = datetime.fromisoformat(at_text)
        row_id = UUID(id_text)
        if at.tzinfo is None:
            raise ValueError("no offset")
        at = at.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursor("not a cursor returned by this API") from exc
    return at, row_id
