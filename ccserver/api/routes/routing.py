"""/api/v1/routing/simulate: what the ACD would decide, without touching a switch.

Ops try a routing change here before they load it: the same engine as the live ACD runs on the
configured agents (in their recorded states, or states given in the request), the configured queues
(or queue configurations given in the request) and the waiting calls given in the request.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ccserver.api.auth import ConfigWriter
from ccserver.api.deps import SessionDep
from ccserver.api.schemas.common import problem_responses
from ccserver.crm.acd_model import QueueConfig
from ccserver.crm.routing_snapshot import configured_snapshot, routing_queue
from ccserver.routing.engine import simulate
from ccserver.routing.model import WaitingCall

router = APIRouter(prefix="/api/v1/routing", tags=["routing"], responses=problem_responses(401, 403, 422))


class SimulatedCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=100, examples=["caller-1"])
    queue: str = Field(min_length=1, max_length=100, examples=["billing"])
    waited_s: float = Field(0, ge=0, le=86_400, description="How long the call has waited already.")
    priority: int = Field(0, ge=0, le=100)
    skills: dict[str, int] = Field(default_factory=dict, examples=[{"billing": 5}])
    language: str | None = Field(None, examples=["es"], description="Requires skill lang:<language>.")
    callback: bool = False


class TrialQueue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    config: QueueConfig


class SimulateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waiting: list[SimulatedCall] = Field(max_length=10_000)
    queues: list[TrialQueue] = Field(
        default_factory=list, max_length=200, description="Queue configurations to try instead of the loaded ones."
    )
    agent_states: dict[str, Literal["ready", "not_ready", "logged_out"]] = Field(
        default_factory=dict, description="agent id -> state to assume instead of the recorded one"
    )
    at: datetime | None = Field(None, description="The moment to simulate (default: now).")


class SimulateOut(BaseModel):
    decisions: list[dict[str, JsonValue]] = Field(
        description="One per routing decision: candidates with scores, exclusions with reasons, the chosen agent."
    )
    actions: list[dict[str, JsonValue]] = Field(description="Offers, escalations, overflows, callbacks offered, ...")


@router.post("/simulate", summary="The decisions the ACD would make now, without touching the switch")
async def simulate_routing(body: SimulateIn, session: SessionDep, _: ConfigWriter) -> SimulateOut:
    now = (body.at or datetime.now(UTC)).timestamp()
    snapshot = await configured_snapshot(
        session=session, queues=[routing_queue(q.name, q.config) for q in body.queues],
        waiting=[
            WaitingCall(
                call_id=c.call_id, queue=c.queue, enqueued_at=now - c.waited_s, priority=c.priority,
                skills=c.skills, language=c.language, callback=c.callback,
            )
            for c in body.waiting
        ],
    )
    if body.agent_states:
        snapshot = replace(snapshot, statuses=tuple(
            replace(s, state=body.agent_states[s.agent_id], since=now, idle_since=now,
                    logged_in_at=None if body.agent_states[s.agent_id] == "logged_out" else now)
            if s.agent_id in body.agent_states else s
            for s in snapshot.statuses
        ))
    outcome: dict[str, Any] = orjson.loads(orjson.dumps(simulate(snapshot, now).as_dict()))  # tuples -> lists
    return SimulateOut(decisions=outcome["decisions"], actions=outcome["actions"])
