"""/api/v1/agents/{id}/state and /states: an agent's state changes, asked for and on record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from ccserver.acd.places import AgentNotRouted
from ccserver.api.agent_access import AgentReader, AgentStateWriter
from ccserver.api.deps import ContextDep, SessionDep
from ccserver.api.schemas.agents import AgentStateOut, StateChangeOut, StateChangePage, StateRequest
from ccserver.api.schemas.common import problem_responses
from ccserver.api.schemas.types import MAX_BIGINT, MAX_LIMIT, UtcDateTime
from ccserver.crm import agent_states
from ccserver.crm.apikeys import Role
from ccserver.crm.errors import Conflict, FieldError, InvalidInput
from ccserver.routing import IllegalTransition
from ccserver.routing.model import AgentStatus

router = APIRouter(prefix="/api/v1/agents", tags=["agents"], responses=problem_responses(401, 403, 404, 422))


@router.post("/{agent_id}/state", responses=problem_responses(409), summary="Change the agent's state")
async def change_state(
    agent_id: UUID, body: StateRequest, session: SessionDep, context: ContextDep, key: AgentStateWriter
) -> AgentStateOut:
    """`ready`, `not_ready` with a reason code (see /api/v1/not-ready-reasons), `logged_out`, or `wrap_up`
    with `extend_s` (more after-call work). With the live ACD running, a not-ready or logout asked for
    during a call is kept as `pending` and applied once the call and its wrap-up are over; without it,
    a reserved or on-call agent's state cannot change (409). Asking for the state the agent is already
    in changes nothing. Every change is logged with its time, reason and who asked."""
    source = "agent" if key.role is Role.AGENT else "supervisor"
    if body.extend_s is not None and body.state != "wrap_up":
        raise InvalidInput([FieldError(("extend_s",), "only wrap_up takes extend_s")])
    if context.acd is not None and context.acd.loaded:
        await agent_states.check_request(session=session, to_state=body.state, reason=body.reason)
        try:
            status = await context.acd.request_state(
                str(agent_id), body.state, body.reason, source, extend_s=body.extend_s
            )
        except AgentNotRouted:
            pass  # not an active agent of the ACD: the database says why (unknown, inactive)
        except IllegalTransition as exc:
            raise Conflict(str(exc)) from None
        else:
            assert isinstance(status, AgentStatus)
            pending = {"logout": "logged_out"}.get(status.pending or "", status.pending)
            return AgentStateOut.of(_state_of(status), pending=pending)
    state = await agent_states.request_agent_state(
        session=session, agent_id=agent_id, to_state=body.state, reason=body.reason, source=source,
        at=datetime.now(UTC),
    )
    return AgentStateOut.of(state)


def _state_of(status: AgentStatus) -> agent_states.AgentState:
    calls = status.connected + status.offered
    return agent_states.AgentState(
        state=status.state, reason=status.reason if status.state == "not_ready" else None,
        since=datetime.fromtimestamp(status.since, UTC), call_id=UUID(calls[0]) if calls else None,
    )


@router.get("/{agent_id}/states", summary="The agent's state changes, in the order recorded")
async def list_state_changes(
    agent_id: UUID,
    session: SessionDep,
    _: AgentReader,
    start: Annotated[UtcDateTime | None, Query(alias="from", description="At or after (ISO 8601).")] = None,
    end: Annotated[UtcDateTime | None, Query(alias="to", description="Before.")] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_BIGINT, description="`next_after` of the last page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> StateChangePage:
    if start is not None and end is not None and end < start:
        error = {"loc": ("query", "to"), "msg": "must not be before `from`", "type": "value_error"}
        raise RequestValidationError([error])
    page = await agent_states.list_state_changes(
        session=session, agent_id=agent_id, limit=limit, start=start, end=end, after=after
    )
    return StateChangePage(items=[StateChangeOut.of(c) for c in page.items], next_after=page.next_after)
