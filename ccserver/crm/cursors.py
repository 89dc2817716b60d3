"""Opaque keyset cursors: base64 of the (timestamp, id) of the last row a page showed."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession


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


async def newest_first_page(
    session: AsyncSession, query: Select[Any], *, at: ColumnElement[Any], row_id: ColumnElement[Any], limit: int,
    cursor: str | None,
) -> tuple[list[RowMapping], str | None]:
    """One page of `query`, newest first on (at, row_id), after `cursor`; and the cursor of the next page
    (None on the last one)."""
    if cursor is not None:
        last_at, last_id = decode_cursor(cursor)
        query = query.where(tuple_(at, row_id) < tuple_(last_at, last_id))
    query = query.order_by(at.desc(), row_id.desc()).limit(limit + 1)
    rows = list((await session.execute(query)).mappings())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1][at.key], rows[-1][row_id.key])
