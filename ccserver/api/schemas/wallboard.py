"""Response bodies of the wallboard: /api/v1/wallboard, /api/v1/queues/{name}/stats and /ws/wallboard."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from ccserver.acd.live_view import AgentLive, QueueLive
from ccserver.crm.acd_stats import QueueFigures
from ccserver.routing.model import AgentState


class AgentCounts(BaseModel):
    """Logged-in agents who have the queue's own required skills, by state."""

    ready: int = Field(examples=[3])
    not_ready: int = Field(examples=[1])
    reserved: int = Field(examples=[0], description="Their phone rings with a call.")
    on_call: int = Field(examples=[5])
    wrap_up: int = Field(examples=[1])


class QueueNow(BaseModel):
    waiting: int = Field(examples=[4], description="Callers on hold; callback requests not counted.")
    callbacks_waiting: int = Field(examples=[1], description="Callback requests keeping a place in the queue.")
    longest_wait_s: float = Field(examples=[42.5], description="The longest wait of a caller on hold (0: none).")
    agents: AgentCounts


class QueueToday(BaseModel):
    """From midnight UTC (`since`), from the ACD's journal events; at most a few seconds old."""

    since: datetime
    offered: int = Field(examples=[120], description="Calls that queued here.")
    answered: int = Field(examples=[100])
    abandoned: int = Field(examples=[10], description="Callers who hung up while waiting or ringing.")
    answered_within_sl: int = Field(examples=[85], description="Answered within `sl_threshold_s`.")
    asa_s: float | None = Field(examples=[12.3], description="Average speed of answer; null: none answered.")
    service_level_pct: float | None = Field(
        examples=[77.27], description="answered_within_sl / (answered + abandoned) x 100; null: neither yet."
    )

    @classmethod
    def of(cls, figures: QueueFigures, since: datetime) -> QueueToday:
        return cls(
            since=since, offered=figures.offered, answered=figures.answered, abandoned=figures.abandoned,
            answered_within_sl=figures.answered_within_sl,
            asa_s=None if figures.asa_s is None else round(figures.asa_s, 3),
            service_level_pct=None if figures.service_level_pct is None else round(figures.service_level_pct, 2),
        )


class QueueStatsOut(BaseModel):
    name: str = Field(examples=["billing"])
    sl_target_pct: float = Field(examples=[80.0], description="Target: this % answered within the threshold.")
    sl_threshold_s: float = Field(examples=[20.0])
    live: QueueNow
    today: QueueToday

    @classmethod
    def of(cls, queue: QueueLive, today: QueueToday) -> QueueStatsOut:
        return cls(
            name=queue.name, sl_target_pct=queue.sl_target_pct, sl_threshold_s=queue.sl_threshold_s,
            live=QueueNow(
                waiting=queue.waiting, callbacks_waiting=queue.callbacks_waiting,
                longest_wait_s=round(queue.longest_wait_s, 1), agents=AgentCounts.model_validate(queue.agents),
            ),
            today=today,
        )


class WallboardAgent(BaseModel):
    id: str
    name: str = Field(examples=["Ada Lovelace"])
    extension: str = Field(examples=["1001"])
    state: AgentState = Field(examples=["on_call"])
    reason: str | None = Field(examples=["lunch"], description="The not-ready reason; null in other states.")
    since: datetime

    @classmethod
    def of(cls, agent: AgentLive) -> WallboardAgent:
        return cls(
            id=agent.id, name=agent.name, extension=agent.extension, state=agent.state, reason=agent.reason,
            since=datetime.fromtimestamp(agent.since, UTC),
        )


class WallboardOut(BaseModel):
    """Every queue (by name) and every logged-in agent (by name). /ws/wallboard sends the same with `at`."""

    queues: list[QueueStatsOut]
    agents: list[WallboardAgent]
