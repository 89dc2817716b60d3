"""The read side of the call journal: calls, their legs and bridges, and their event timeline.

The journal writer (events/) fills these tables; nothing here writes to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.cursors import newest_first_page
from ccserver.crm.errors import NotFound
from ccserver.crm.tables import bridges, call_events, calls, ivr_sessions, legs


@dataclass(frozen=True, kw_only=True)
class CallFilters:
    """Every filter is optional; `started_from` is inclusive and `started_to` exclusive."""

    started_from: datetime | None = None
    started_to: datetime | None = None
    direction: str | None = None
    customer_id: UUID | None = None
    state: str | None = None
    outcome: str | None = None
    switch_id: str | None = None


@dataclass(frozen=True, slots=True)
class CallPage:
    items: list[RowMapping]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CallDetail:
    call: RowMapping
    legs: list[RowMapping]
    bridges: list[RowMapping]
    ivr_sessions: list[RowMapping]

    @property
    def ivr_path(self) -> list[str]:
        """Every IVR node the caller went through, across all the call's IVR passes, in order."""
        return [node for session in self.ivr_sessions for node in session["path"]]


@dataclass(frozen=True, slots=True)
class EventPage:
    items: list[RowMapping]
    next_after: int | None


async def list_calls(
    *, session: AsyncSession, filters: CallFilters, limit: int, cursor: str | None = None
) -> CallPage:
    """Newest first, keyset-paginated on (started_at, id). Raises InvalidCursor for a foreign cursor."""
    rows, next_cursor = await newest_first_page(
        session, _filtered(select(calls), filters), at=calls.c.started_at, row_id=calls.c.id, limit=limit,
        cursor=cursor,
    )
    return CallPage(items=rows, next_cursor=next_cursor)


async def get_call(*, session: AsyncSession, call_id: UUID) -> CallDetail:
    call = (await session.execute(select(calls).where(calls.c.id == call_id))).mappings().first()
    if call is None:
        raise NotFound("call", call_id)
    leg_rows = await session.execute(
        select(legs).where(legs.c.call_id == call_id).order_by(legs.c.created_at, legs.c.id)
    )
    bridge_rows = await session.execute(
        select(bridges).where(bridges.c.call_id == call_id).order_by(bridges.c.created_at, bridges.c.id)
    )
    ivr_rows = await session.execute(
        select(ivr_sessions).where(ivr_sessions.c.call_id == call_id)
        .order_by(ivr_sessions.c.started_at, ivr_sessions.c.id)
    )
    return CallDetail(
        call=call, legs=list(leg_rows.mappings()), bridges=list(bridge_rows.mappings()),
        ivr_sessions=list(ivr_rows.mappings()),
    )


async def list_call_events(
    *, session: AsyncSession, call_id: UUID, limit: int, after: int | None = None
) -> EventPage:
    """The call's journal in arrival (`id`) order; pass `next_after` back as `after` for more."""
    exists = await session.execute(select(calls.c.id).where(calls.c.id == call_id))
    if exists.first() is None:
        raise NotFound("call", call_id)
    query = select(call_events).where(call_events.c.call_id == call_id)
    if after is not None:
        query = query.where(call_events.c.id > after)
    query = query.order_by(call_events.c.id).limit(limit + 1)
    rows = list((await session.execute(query)).mappings())
    if len(rows) <= limit:
        return EventPage(items=rows, next_after=None)
    rows = rows[:limit]
    return EventPage(items=rows, next_after=rows[-1]["id"])


def _filtered(query: Select[Any], f: CallFilters) -> Select[Any]:
    if f.started_from is not None:
        query = query.where(calls.c.started_at >= f.started_from)
    if f.started_to is not None:
        query = query.where(calls.c.started_at < f.started_to)
    for column, value in (
        (calls.c.direction, f.direction),
        (calls.c.customer_id, f.customer_id),
        (calls.c.state, f.state),
        (calls.c.outcome, f.outcome),
        (calls.c.switch_id, f.switch_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return query
