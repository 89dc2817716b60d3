"""/api/v1/calls: the call journal, read-only — filtered lists, one call with legs, its event timeline."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError

from ccserver.api.auth import AnyRole
from ccserver.api.deps import SessionDep
from ccserver.api.schemas.calls import (
    CallDetailOut,
    CallEventOut,
    CallEventPage,
    CallOut,
    CallState,
    Direction,
    Outcome,
)
from ccserver.api.schemas.common import Page, problem_responses
from ccserver.api.schemas.types import MAX_BIGINT, MAX_LIMIT, Cursor, Text, UtcDateTime
from ccserver.crm import calls
from ccserver.crm.calls import CallFilters

router = APIRouter(prefix="/api/v1/calls", tags=["calls"], responses=problem_responses(401, 403, 404, 422))


def call_filters(
    started_from: Annotated[
        UtcDateTime | None,
        Query(alias="from", description="Started at or after (ISO 8601; UTC if no offset)."),
    ] = None,
    started_to: Annotated[UtcDateTime | None, Query(alias="to", description="Started before.")] = None,
    direction: Direction | None = None,
    customer_id: UUID | None = None,
    state: CallState | None = None,
    outcome: Outcome | None = None,
    switch_id: Annotated[Text | None, Query(description="The Asterisk the call ran on.")] = None,
) -> CallFilters:
    if started_from is not None and started_to is not None and started_to < started_from:
        raise RequestValidationError(
            [{"loc": ("query", "to"), "msg": "must not be before `from`", "type": "value_error"}]
        )
    return CallFilters(
        started_from=started_from,
        started_to=started_to,
        direction=direction,
        customer_id=customer_id,
        state=state,
        outcome=outcome,
        switch_id=switch_id,
    )


@router.get("", summary="Calls, newest first")
async def list_calls(
    session: SessionDep,
    _: AnyRole,
    filters: Annotated[CallFilters, Depends(call_filters)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[Cursor | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[CallOut]:
    page = await calls.list_calls(session=session, filters=filters, limit=limit, cursor=cursor)
    return Page[CallOut](
        items=[CallOut.model_validate(dict(row)) for row in page.items], next_cursor=page.next_cursor
    )


@router.get("/{call_id}", summary="One call with its legs and bridges")
async def get_call(call_id: UUID, session: SessionDep, _: AnyRole) -> CallDetailOut:
    detail = await calls.get_call(session=session, call_id=call_id)
    return CallDetailOut.model_validate(
        {
            **detail.call, "legs": [dict(r) for r in detail.legs], "bridges": [dict(r) for r in detail.bridges],
            "ivr_sessions": [dict(r) for r in detail.ivr_sessions], "ivr_path": detail.ivr_path,
        }
    )


@router.get("/{call_id}/events", summary="The call's event timeline, in arrival order")
async def list_call_events(
    call_id: UUID,
    session: SessionDep,
    _: AnyRole,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_BIGINT, description="`next_after` of the last page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> CallEventPage:
    page = await calls.list_call_events(session=session, call_id=call_id, limit=limit, after=after)
    return CallEventPage(
        items=[CallEventOut.model_validate(dict(row)) for row in page.items], next_after=page.next_after
    )
