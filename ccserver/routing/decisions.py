"""What the engine hands back for every event: decisions (with their reasons), actions, agent transitions.

A `Decision` is stored for every look the engine takes for a call: the agent chosen (or none: the call
waits), the requirements and escalation step in force, the best candidates with their scores, and the
agents excluded with a reason. It is bounded (a few candidates and examples, then counts), so it stays
cheap with thousands of agents.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypeAlias

from ccserver.routing.agent_states import Transition
from ccserver.routing.requirements import Requirements, as_dicts


@dataclass(frozen=True, slots=True)
class Candidate:
    agent_id: str
    score: float  # higher is better within the queue's strategy
    detail: str  # "skill fit 14, idle 42 s"


@dataclass(frozen=True, slots=True)
class Exclusion:
    agent_id: str
    reason: str  # "skill billing 3 < 5", "lacks skill lang:es"


@dataclass(frozen=True, slots=True)
class Decision:
    """trigger: what made the engine look — call_arrived, agent_available, escalation, requeued,
    queues_changed, rebalance (simulate). candidates: eligible free agents, best first (at most a few of
    `eligible`). excluded: examples of free agents that do not qualify; excluded_counts: every agent left
    out, by reason (unavailable ones by state)."""

    at: float
    trigger: str
    call_id: str
    queue: str
    rank: int
    waited_s: float
    agent_id: str | None
    step: int
    step_text: str
    requirements: Requirements
    strategy: str
    eligible: int = 0
    candidates: tuple[Candidate, ...] = ()
    excluded: tuple[Exclusion, ...] = ()
    excluded_counts: tuple[tuple[str, int], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["requirements"] = as_dicts(self.requirements)
        data["excluded_counts"] = dict(self.excluded_counts)
        return data


@dataclass(frozen=True, slots=True)
class OfferCall:
    """Ring `agent_id` with `call_id` (for a callback: call the agent, then the customer)."""

    call_id: str
    agent_id: str
    extension: str
    queue: str
    callback: bool = False


@dataclass(frozen=True, slots=True)
class Requeued:
    """The offer failed (ring-no-answer): the call is back in its queue at its old place."""

    call_id: str
    queue: str
    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Escalated:
    call_id: str
    queue: str
    step: int  # 1-based index into the queue's escalation steps
    description: str


@dataclass(frozen=True, slots=True)
class Overflowed:
    call_id: str
    from_queue: str
    to_queue: str
    reason: str  # the step, or "max wait"


@dataclass(frozen=True, slots=True)
class OfferCallback:
    call_id: str
    queue: str


@dataclass(frozen=True, slots=True)
class SendToVoicemail:
    call_id: str
    queue: str
    reason: str


@dataclass(frozen=True, slots=True)
class Announce:
    """Tell the caller where they stand: position (1 = next) and estimated wait, each if the queue says so."""

    call_id: str
    queue: str
    position: int | None
    wait_s: float | None


@dataclass(frozen=True, slots=True)
class CallLeft:
    """A call left the queue without an agent (abandoned, callback taken, ...)."""

    call_id: str
    queue: str
    waited_s: float
    reason: str


Action: TypeAlias = (
    OfferCall | Requeued | Escalated | Overflowed | OfferCallback | SendToVoicemail | Announce | CallLeft
)


@dataclass(slots=True)
class Outcome:
    decisions: list[Decision] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)

    @property
    def offers(self) -> list[OfferCall]:
        return [a for a in self.actions if isinstance(a, OfferCall)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "decisions": [d.as_dict() for d in self.decisions],
            "actions": [{"type": type(a).__name__, **asdict(a)} for a in self.actions],
            "transitions": [t.as_dict() for t in self.transitions],
        }
