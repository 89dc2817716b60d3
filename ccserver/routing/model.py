"""What the ACD routes: agents, their live status, queues with escalation steps, and waiting calls.

Times are float seconds on one clock the caller chooses (Unix time in ccserver); the routing core
never reads a clock itself. Skill levels (proficiency) run from 1 to 10; a requirement `{"billing": 5}`
means "billing at level 5 or better". A caller's language is a requirement too: skill `lang:<code>`
(see `language_skill`), so agents declare the languages they speak as skills: `{"lang:es": 8}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

AgentState = Literal["logged_out", "ready", "not_ready", "reserved", "on_call", "wrap_up"]
AGENT_STATES: tuple[AgentState, ...] = ("logged_out", "ready", "not_ready", "reserved", "on_call", "wrap_up")
Strategy = Literal["longest_idle", "least_occupied", "most_skilled"]
STRATEGIES: tuple[Strategy, ...] = ("longest_idle", "least_occupied", "most_skilled")
StepAction = Literal["relax_skill", "widen", "drop_skill", "overflow", "offer_callback", "voicemail"]
STEP_ACTIONS: tuple[StepAction, ...] = ("relax_skill", "widen", "drop_skill", "overflow", "offer_callback", "voicemail")
Pending = Literal["not_ready", "logout"]

MIN_LEVEL, MAX_LEVEL = 1, 10
LANGUAGE_PREFIX = "lang:"


def language_skill(language: str) -> str:
    """The skill an agent needs to take a call in `language`: `lang:es`."""
    return f"{LANGUAGE_PREFIX}{language.lower()}"


@dataclass(frozen=True, slots=True)
class Agent:
    """Who can take calls. `max_concurrent` > 1 lets an agent hold several calls (e.g. chats) at once."""

    id: str
    extension: str
    name: str
    skills: Mapping[str, int] = field(default_factory=dict)
    max_concurrent: int = 1

    def __post_init__(self) -> None:
        for skill, level in self.skills.items():
            if not MIN_LEVEL <= level <= MAX_LEVEL:
                raise ValueError(f"agent {self.id}: skill {skill} level {level} is not {MIN_LEVEL}-{MAX_LEVEL}")
        if self.max_concurrent < 1:
            raise ValueError(f"agent {self.id}: max_concurrent must be at least 1")


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """An agent's live state; only `agent_states.transition` makes a new one.

    offered: calls ringing at the agent; connected: calls answered and not ended.
    idle_since: when the agent last became free for calls (longest-idle counts from it).
    busy_seconds: time on calls and in wrap-up since login (least-occupied divides it by the time logged in).
    pending: a not-ready or logout asked for during a call, applied once the agent is free again.
    """

    agent_id: str
    state: AgentState = "logged_out"
    since: float = 0.0
    reason: str = ""
    offered: tuple[str, ...] = ()
    connected: tuple[str, ...] = ()
    idle_since: float = 0.0
    busy_seconds: float = 0.0
    logged_in_at: float | None = None
    wrapup_until: float | None = None
    pending: Pending | None = None
    pending_reason: str = ""

    @property
    def active_calls(self) -> int:
        return len(self.offered) + len(self.connected)


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """What changes for a call that has waited `after_s` in its queue.

    relax_skill: `skill`'s minimum becomes `min_level` (never raised);  drop_skill: `skill` is no longer required;
    widen: agents matching the group `skills` may take the call too (the caller's language stays required);
    overflow: the call moves to `queue` (or the queue's `overflow_queue`), keeping its place;
    offer_callback: the caller is offered a callback;  voicemail: the call leaves the queue for voicemail.
    """

    after_s: float
    action: StepAction
    skill: str | None = None
    min_level: int | None = None
    skills: Mapping[str, int] | None = None
    queue: str | None = None


@dataclass(frozen=True, slots=True)
class Queue:
    """A queue: required skills (minimum levels), priority (added to each call's), service-level target
    (`sl_target_pct` % answered within `sl_threshold_s`), limits, wrap-up, strategy, escalation,
    announcements. `max_wait_s` reached: overflow to `overflow_queue`, or voicemail when there is none."""

    name: str
    skills: Mapping[str, int] = field(default_factory=dict)
    priority: int = 0
    sl_target_pct: float = 80.0
    sl_threshold_s: float = 20.0
    max_wait_s: float | None = None
    wrapup_s: float = 0.0
    strategy: Strategy = "most_skilled"
    overflow_queue: str | None = None
    escalation: tuple[EscalationStep, ...] = ()
    announce_every_s: float | None = None
    announce_position: bool = True
    announce_wait: bool = True


@dataclass(frozen=True, slots=True)
class WaitingCall:
    """A call (or a callback request, `callback=True`) waiting for an agent.

    skills: the call's own requirements (from the IVR), merged with its queue's: the stricter level wins.
    priority: added to the queue's priority; higher is served first.
    enqueued_at: where the call's place counts from; a callback or a re-queued call keeps the original.
    queue_entered_at: when it entered its current queue (escalation and max wait count from it);
    None = `enqueued_at`. step: escalation steps of that queue already applied (engine state).
    """

    call_id: str
    queue: str
    enqueued_at: float
    priority: int = 0
    skills: Mapping[str, int] = field(default_factory=dict)
    language: str | None = None
    callback: bool = False
    queue_entered_at: float | None = None
    step: int = 0

    @property
    def entered_at(self) -> float:
        return self.enqueued_at if self.queue_entered_at is None else self.queue_entered_at


@dataclass(frozen=True, slots=True)
class Assignment:
    """A call handed to an agent: ringing (`answered_at` None) or connected."""

    call: WaitingCall
    agent_id: str
    answered_at: float | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the engine routes on; `RoutingEngine.snapshot()` makes one, `simulate` runs on one.
    Agents without a status are logged out."""

    queues: tuple[Queue, ...]
    agents: tuple[Agent, ...] = ()
    statuses: tuple[AgentStatus, ...] = ()
    waiting: tuple[WaitingCall, ...] = ()
    assignments: tuple[Assignment, ...] = ()
