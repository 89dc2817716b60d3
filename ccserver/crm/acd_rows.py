"""The live ACD's records as rows: agent transitions, routing decisions and the calls it holds.

Pure mapping from the routing core's objects (float POSIX seconds, string ids) to the tables' columns;
`ccserver/acd/store.py` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.tables import acd_waiting, agent_state_log, agent_states, calls, routing_decisions
from ccserver.routing.agent_states import Transition
from ccserver.routing.decisions import Decision

NOT_READY_CODES_KEPT = ("not_ready",)  # agent_states.reason holds a reason code only in these states


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class HeldCall:
    """An acd_waiting row: a call the ACD holds, and where its caller's channel is."""

    call_id: str
    switch_id: str
    uniqueid: str | None
    channel: str | None
    queue: str
    priority: int
    skills: dict[str, int]
    language: str | None
    enqueued_at: float
    queue_entered_at: float | None
    step: int
    callback: bool
    callback_number: str | None
    state: str  # waiting | offered | connected | callback_pending
    agent_id: str | None

    def row(self) -> dict[str, Any]:
        return {
            "call_id": UUID(self.call_id), "switch_id": self.switch_id, "uniqueid": self.uniqueid,
            "channel": self.channel, "queue": self.queue, "priority": self.priority, "skills": self.skills,
            "language": self.language, "enqueued_at": at(self.enqueued_at),
            "queue_entered_at": None if self.queue_entered_at is None else at(self.queue_entered_at),
            "step": self.step, "callback": self.callback, "callback_number": self.callback_number,
            "state": self.state, "agent_id": None if self.agent_id is None else UUID(self.agent_id),
            "updated_at": datetime.now(UTC),
        }


def transition_rows(change: Transition, source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the agent_states values, the agent_state_log row) of one transition."""
    call_id = None if change.call_id is None else UUID(change.call_id)
    current = {
        "state": change.to_state, "since": at(change.at), "call_id": call_id,
        "reason": change.reason if change.to_state in NOT_READY_CODES_KEPT else None,
    }
    log = {
        "agent_id": UUID(change.agent_id), "from_state": change.from_state, "to_state": change.to_state,
        "reason": change.reason or None, "at": at(change.at), "call_id": call_id, "source": source,
    }
    return current, log


def decision_row(decision: Decision, switch_id: str | None) -> dict[str, Any]:
    data = decision.as_dict()
    return {
        "call_id": UUID(decision.call_id), "switch_id": switch_id, "decided_at": at(decision.at),
        "trigger": decision.trigger, "queue": decision.queue, "rank": decision.rank, "waited_s": decision.waited_s,
        "strategy": decision.strategy, "step": {"index": decision.step, "text": decision.step_text},
        "requirements": {"any_of": data["requirements"]},
        "chosen_agent_id": None if decision.agent_id is None else UUID(decision.agent_id),
        "eligible": decision.eligible, "candidates": data["candidates"], "excluded": data["excluded"],
        "excluded_counts": data["excluded_counts"], "outcome": "offered" if decision.agent_id else "waiting",
    }


async def write_transitions(session: AsyncSession, changes: list[tuple[Transition, str]]) -> None:
    for change, source in changes:
        current, log = transition_rows(change, source)
        agent_id = UUID(change.agent_id)
        await session.execute(update(agent_states).where(agent_states.c.agent_id == agent_id).values(current))
        await session.execute(insert(agent_state_log).values(log))


async def write_decisions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(routing_decisions), rows)


async def put_held(session: AsyncSession, call: HeldCall) -> None:
    row = call.row()
    statement = pg_insert(acd_waiting).values(row)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[acd_waiting.c.call_id], set_={k: v for k, v in row.items() if k != "call_id"}
    ))


async def drop_held(session: AsyncSession, call_id: str) -> None:
    await session.execute(delete(acd_waiting).where(acd_waiting.c.call_id == UUID(call_id)))


async def load_held(session: AsyncSession) -> list[tuple[HeldCall, str | None]]:
    """Every acd_waiting row, oldest first, with its call's linkedid when the journal has the call."""
    query = (
        select(acd_waiting, calls.c.linkedid)
        .select_from(acd_waiting.outerjoin(calls, calls.c.id == acd_waiting.c.call_id))
        .order_by(acd_waiting.c.enqueued_at)
    )
    held = []
    for row in (await session.execute(query)).mappings():
        call = HeldCall(
            call_id=str(row["call_id"]), switch_id=row["switch_id"], uniqueid=row["uniqueid"], channel=row["channel"],
            queue=row["queue"], priority=row["priority"], skills=dict(row["skills"]), language=row["language"],
            enqueued_at=row["enqueued_at"].timestamp(),
            queue_entered_at=None if row["queue_entered_at"] is None else row["queue_entered_at"].timestamp(),
            step=row["step"], callback=row["callback"], callback_number=row["callback_number"], state=row["state"],
            agent_id=None if row["agent_id"] is None else str(row["agent_id"]),
        )
        held.append((call, row["linkedid"]))
    return held
