"""Agent states: each agent's state now (`agent_states`) and every change with its time, reason and source
(`agent_state_log`), written together in one transaction — the basis of occupancy and adherence reports.

`record_agent_state` is the one writer; the ACD calls it for the states it drives (reserved, on_call,
wrap_up) and `request_agent_state` for what an agent or supervisor asks over REST.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.acd_config import reason_exists
from ccserver.crm.errors import Conflict, FieldError, InvalidInput, NotFound
from ccserver.crm.tables import agent_state_log, agent_states, agents

Source = Literal["agent", "supervisor", "system"]
REQUESTABLE = ("ready", "not_ready", "logged_out")  # what agents and supervisors may ask for over REST
ON_A_CALL = ("reserved", "on_call")  # the ACD moves an agent out of these when the call is done


@dataclass(frozen=True, slots=True)
class AgentState:
    state: str
    reason: str | None
    since: datetime
    call_id: UUID | None


@dataclass(frozen=True, slots=True)
class StateChange:
    id: int
    agent_id: UUID
    from_state: str
    to_state: str
    reason: str | None
    at: datetime
    call_id: UUID | None
    source: str


@dataclass(frozen=True, slots=True)
class StateChangePage:
    items: list[StateChange]
    next_after: int | None


async def record_agent_state(
    *,
    session: AsyncSession,
    agent_id: UUID,
    to_state: str,
    reason: str | None,
    source: Source,
    at: datetime,
    call_id: UUID | None = None,
) -> AgentState:
    """Store a transition the caller has decided on: the new state and its log row, then commit."""
    current = await _lock_current(session, agent_id)
    return await _write(session, agent_id, current, to_state, reason, source, at, call_id)


async def request_agent_state(
    *, session: AsyncSession, agent_id: UUID, to_state: str, reason: str | None, source: Source, at: datetime
) -> AgentState:
    """An agent's or supervisor's request: ready, not_ready (with a known reason code) or logged_out.

    Asking for the state the agent is already in (same reason) changes nothing and logs nothing.
    """
    if to_state not in REQUESTABLE:
        raise InvalidInput([FieldError(("state",), f"must be one of {', '.join(REQUESTABLE)}")])
    await check_request(session=session, to_state=to_state, reason=reason)
    current = await _lock_current(session, agent_id)
    if current.state in ON_A_CALL and to_state != current.state:
        await session.rollback()
        raise Conflict(f"the agent is {current.state}; its state changes when the call is done")
    if to_state != "logged_out" and not await _active(session, agent_id):
        await session.rollback()
        raise Conflict("the agent is inactive and cannot log in")
    if (current.state, current.reason) == (to_state, reason):
        await session.rollback()
        return current
    return await _write(session, agent_id, current, to_state, reason, source, at, None)


async def check_request(*, session: AsyncSession, to_state: str, reason: str | None) -> None:
    """A reason code exactly with not_ready, and one that exists."""
    if to_state == "not_ready" and reason is None:
        raise InvalidInput([FieldError(("reason",), "not_ready needs a reason code")])
    if to_state != "not_ready" and reason is not None:
        raise InvalidInput([FieldError(("reason",), "only not_ready takes a reason")])
    if reason is not None and not await reason_exists(session=session, code=reason):
        raise InvalidInput([FieldError(("reason",), f"unknown not-ready reason {reason!r}")])


async def get_agent_state(*, session: AsyncSession, agent_id: UUID) -> AgentState:
    row = (await session.execute(select(agent_states).where(agent_states.c.agent_id == agent_id))).mappings().first()
    if row is None:
        raise NotFound("agent", agent_id)
    return state_from_row(row)


async def list_state_changes(
    *,
    session: AsyncSession,
    agent_id: UUID,
    limit: int,
    start: datetime | None = None,
    end: datetime | None = None,
    after: int | None = None,
) -> StateChangePage:
    """The agent's transitions in the order recorded, `start <= at < end`, paged by `after` (an id)."""
    log = agent_state_log.c
    query = select(agent_state_log).where(log.agent_id == agent_id)
    if start is not None:
        query = query.where(log.at >= start)
    if end is not None:
        query = query.where(log.at < end)
    if after is not None:
        query = query.where(log.id > after)
    rows = list((await session.execute(query.order_by(log.id).limit(limit + 1))).mappings())
    next_after = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_after = rows[-1]["id"]
    if not rows and after is None and not await _exists(session, agent_id):
        raise NotFound("agent", agent_id)
    return StateChangePage(items=[StateChange(**row) for row in rows], next_after=next_after)


def initial_state_row(agent_id: UUID, at: datetime) -> dict[str, Any]:
    """The agent_states row of a new agent: logged out."""
    return {"agent_id": agent_id, "state": "logged_out", "reason": None, "since": at, "call_id": None}


async def _lock_current(session: AsyncSession, agent_id: UUID) -> AgentState:
    query = select(agent_states).where(agent_states.c.agent_id == agent_id).with_for_update()
    row = (await session.execute(query)).mappings().first()
    if row is None:
        await session.rollback()
        raise NotFound("agent", agent_id)
    return state_from_row(row)


async def _write(
    session: AsyncSession,
    agent_id: UUID,
    current: AgentState,
    to_state: str,
    reason: str | None,
    source: Source,
    at: datetime,
    call_id: UUID | None,
) -> AgentState:
    values = {"state": to_state, "reason": reason, "since": at, "call_id": call_id}
    await session.execute(update(agent_states).where(agent_states.c.agent_id == agent_id).values(values))
    await session.execute(
        insert(agent_state_log).values(
            agent_id=agent_id, from_state=current.state, to_state=to_state, reason=reason, at=at,
            call_id=call_id, source=source,
        )
    )
    await session.commit()
    return AgentState(state=to_state, reason=reason, since=at, call_id=call_id)


async def _active(session: AsyncSession, agent_id: UUID) -> bool:
    return bool((await session.execute(select(agents.c.active).where(agents.c.id == agent_id))).scalar())


async def _exists(session: AsyncSession, agent_id: UUID) -> bool:
    return (await session.execute(select(agents.c.id).where(agents.c.id == agent_id))).first() is not None


def state_from_row(row: RowMapping) -> AgentState:
    """The state columns of an agent_states row (or of a query joining it)."""
    return AgentState(state=row["state"], reason=row["reason"], since=row["since"], call_id=row["call_id"])
