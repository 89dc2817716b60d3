"""/api/v1/agents/{id}/state and /states: an agent's state changes, asked for and on record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from ccserver.api.agent_access import AgentReader, AgentStateWriter
from ccserver.api.deps import SessionDep
from ccserver.api.schemas.agents import AgentStateOut, StateChangeOut, StateChangePage, StateRequest
from ccserver.api.schemas.common import problem_responses
from ccserver.api.schemas.types import MAX_BIGINT, MAX_LIMIT, UtcDateTime
from ccserver.crm import agent_states
from ccserver.crm.apikeys import Role

router = APIRouter(prefix="/api/v1/agents", tags=["agents"], responses=problem_responses(401, 403, 404, 422))


@router.post("/{agent_id}/state", responses=problem_responses(409), summary="Change the agent's state")
async def change_state(agent_id: UUID, body: StateRequest, session: SessionDep, key: AgentStateWriter) -> AgentStateOut:
    """`ready`, `not_ready` with a reason code (see /api/v1/not-ready-reasons) or `logged_out`. While the
    agent is reserved for or on a call, the ACD owns its state (409). Asking for the state the agent is
    already in changes nothing. The change is logged with its time, reason and who asked."""
    state = await agent_states.request_agent_state(
        session=session, agent_id=agent_id, to_state=body.state, reason=body.reason,
        source="agent" if key.role is Role.AGENT else "supervisor", at=datetime.now(UTC),
    )
    return AgentStateOut.of(state)


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
