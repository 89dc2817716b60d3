"""Routing decisions: for each decision the ACD took about a call, what it required, whom it considered,
whom it left out and why, and what came of it. The ACD writes; `/api/v1/calls/{id}/routing` reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.errors import NotFound
from ccserver.crm.tables import calls, routing_decisions


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """One stored look: the routing core's `Decision` (ccserver/routing/decisions.py), where, and what came of it."""

    id: int
    call_id: UUID
    switch_id: str | None
    decided_at: datetime
    trigger: str  # call_arrived, agent_available, escalation, requeued, queues_changed, ...
    queue: str
    rank: int | None
    waited_s: float | None
    strategy: str | None
    step: dict[str, Any] | None  # {"index": n, "text": "..."}
    requirements: dict[str, Any]
    chosen_agent_id: UUID | None
    eligible: int
    candidates: list[Any]  # [{"agent_id", "score", "detail"}], best first
    excluded: list[Any]  # [{"agent_id", "reason"}]
    excluded_counts: dict[str, Any]  # reason -> agents
    outcome: str  # offered (an agent was chosen), waiting, ...


async def record_routing_decision(
    *,
    session: AsyncSession,
    call_id: UUID,
    decided_at: datetime,
    trigger: str,
    queue: str,
    switch_id: str | None = None,
    rank: int | None = None,
    waited_s: float | None = None,
    strategy: str | None = None,
    step: Mapping[str, Any] | None = None,
    requirements: Mapping[str, Any] | None = None,
    chosen_agent_id: UUID | None = None,
    eligible: int = 0,
    candidates: Sequence[Any] = (),
    excluded: Sequence[Any] = (),
    excluded_counts: Mapping[str, Any] | None = None,
    outcome: str | None = None,
) -> int:
    """Store one decision and commit; its id (a call's decisions read back in id order). `outcome`
    defaults to `offered` when an agent was chosen, else `waiting`."""
    values = {
        "call_id": call_id, "switch_id": switch_id, "decided_at": decided_at, "trigger": trigger, "queue": queue,
        "rank": rank, "waited_s": waited_s, "strategy": strategy, "step": dict(step) if step is not None else None,
        "requirements": dict(requirements or {}), "chosen_agent_id": chosen_agent_id, "eligible": eligible,
        "candidates": list(candidates), "excluded": list(excluded), "excluded_counts": dict(excluded_counts or {}),
        "outcome": outcome or ("offered" if chosen_agent_id is not None else "waiting"),
    }
    decision_id: int = (
        await session.execute(insert(routing_decisions).values(values).returning(routing_decisions.c.id))
    ).scalar_one()
    await session.commit()
    return decision_id


async def list_routing_decisions(*, session: AsyncSession, call_id: UUID) -> list[RoutingDecision]:
    """The call's decisions in the order taken; NotFound if there are none and the journal has no such call."""
    query = select(routing_decisions).where(routing_decisions.c.call_id == call_id).order_by(routing_decisions.c.id)
    decisions = [RoutingDecision(**row) for row in (await session.execute(query)).mappings()]
    if not decisions and (await session.execute(select(calls.c.id).where(calls.c.id == call_id))).first() is None:
        raise NotFound("call", call_id)
    return decisions
