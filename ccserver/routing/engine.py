"""The routing engine: events in, decisions and actions out. Pure: no clock, I/O or sleep inside.

Each method takes `now` (float seconds) and returns an `Outcome`: the decisions taken (every look for
an agent for a call, with its reasons), the actions for the adapters (OfferCall: ring this agent;
Overflowed, OfferCallback, SendToVoicemail, Announce, Requeued, CallLeft, Escalated) and the agent
transitions to journal. After every method, no waiting call has a free agent it qualifies for.

The adapter reports what the switch did: `offer_answered`, `offer_failed` (ring-no-answer: the call
goes back to its old place at the head of its queue, the agent to not-ready "missed"), `call_left`
(the caller hung up before an agent talked to them), `call_ended` (then wrap-up). It calls `tick(now)`
at `next_due()` (or every second): wrap-ups that are over, escalation steps, max waits, announcements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from ccserver.routing.agent_states import (
    MISSED,
    AgentEvent,
    Answer,
    CallEnd,
    EndWrapupEarly,
    ExtendWrapup,
    IllegalTransition,
    Login,
    Logout,
    NotReady,
    OfferCancelled,
    Ready,
    RingNoAnswer,
    WrapupEnd,
)
from ccserver.routing.decisions import CallLeft, Outcome, Requeued
from ccserver.routing.escalation import run_due
from ccserver.routing.matching import Matcher, match
from ccserver.routing.model import Agent, AgentStatus, Assignment, Queue, Snapshot, WaitingCall
from ccserver.routing.requirements import Requirements
from ccserver.routing.state import RoutingState

DEFAULT_REASON_CODES = frozenset({"break", "lunch", "meeting", "training", "coaching", "personal", "technical"})
AGENT_EVENTS = (Login, Ready, NotReady, Logout, EndWrapupEarly, ExtendWrapup)  # what agents (or supervisors) do


class RoutingEngine:
    def __init__(self, *, queues: Iterable[Queue], agents: Iterable[Agent] = (),
                 reason_codes: Iterable[str] = DEFAULT_REASON_CODES, matcher: Matcher = match) -> None:
        self._state = RoutingState(queues, agents)
        self._reasons = frozenset(reason_codes) | {MISSED}
        self._match = matcher

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot, now: float, *, reason_codes: Iterable[str] = DEFAULT_REASON_CODES,
                      matcher: Matcher = match) -> RoutingEngine:
        """An engine holding `snapshot`, nothing matched yet (`rebalance` does that)."""
        engine = cls(queues=snapshot.queues, agents=snapshot.agents, reason_codes=reason_codes, matcher=matcher)
        state = engine._state
        for status in snapshot.statuses:
            if status.agent_id not in state.agents:
                raise ValueError(f"status of unknown agent {status.agent_id}")
            state.set_status(status)
        for assignment in snapshot.assignments:
            held = state.statuses.get(assignment.agent_id)
            if held is None or assignment.call.call_id not in held.offered + held.connected:
                raise ValueError(f"call {assignment.call.call_id} is not held by agent {assignment.agent_id}")
            state.assigned[assignment.call.call_id] = assignment
        for call in snapshot.waiting:
            engine._check_new(call)
            state.enqueue(call, now)
        return engine

    # --- configuration ---

    def set_queues(self, queues: Iterable[Queue], now: float) -> Outcome:
        """New queue definitions; the waiting calls' requirements are worked out again."""
        queues = list(queues)
        names = {q.name for q in queues}
        state = self._state
        used = {r.call.queue for r in state.waiting.values()} | {a.call.queue for a in state.assigned.values()}
        if used - names:
            raise ValueError(f"queues still in use: {', '.join(sorted(used - names))}")
        self._state.set_queues(queues)
        for record in self._state.waiting.values():
            steps = len(self._state.queues[record.call.queue].escalation)
            record.call = replace(record.call, step=min(record.call.step, steps))
            self._state.refresh(record)
        out = Outcome()
        self._match(self._state, now, [], dict.fromkeys(self._state.waiting, "queues_changed"), out)
        return out

    def set_reason_codes(self, reason_codes: Iterable[str]) -> None:
        """The not-ready reason codes agents may give ("missed" is the engine's own and always there)."""
        self._reasons = frozenset(reason_codes) | {MISSED}

    def set_agent(self, agent: Agent, now: float) -> Outcome:
        """Add an agent (logged out) or change one's name, extension, skills or capacity."""
        out = Outcome()
        if self._state.put_agent(agent):
            self._match(self._state, now, [agent.id], {}, out)
        return out

    # --- agents ---

    def agent_changed(self, agent_id: str, event: AgentEvent, now: float) -> Outcome:
        """What an agent (or a supervisor) did: Login, Ready, NotReady(reason), Logout, EndWrapupEarly,
        ExtendWrapup. Raises IllegalTransition for what the state does not allow or an unknown reason code."""
        if not isinstance(event, AGENT_EVENTS):
            raise ValueError(f"{type(event).__name__} comes from the engine's own call methods")
        if isinstance(event, NotReady) and event.reason not in self._reasons:
            raise IllegalTransition(f"unknown not-ready reason {event.reason!r} ({', '.join(sorted(self._reasons))})")
        if agent_id not in self._state.agents:
            raise KeyError(f"unknown agent {agent_id}")
        out = Outcome()
        freed = self._state.apply(agent_id, event, now, out)
        if freed:
            self._match(self._state, now, [agent_id], {}, out)
        return out

    # --- calls ---

    def call_arrived(self, call: WaitingCall, now: float) -> Outcome:
        self._check_new(call)
        out = Outcome()
        dirty: dict[str, str] = {}
        record = self._state.enqueue(call, now)
        run_due(self._state, record, now, out, dirty)
        if call.call_id in self._state.waiting:
            dirty[call.call_id] = "call_arrived"
        self._match(self._state, now, [], dirty, out)
        return out

    def callback_requested(self, call_id: str, now: float) -> Outcome:
        """The caller took the callback offer: the call stays queued at its place as a callback request."""
        record = self._state.waiting[call_id]
        record.call = replace(record.call, callback=True)
        record.next_announce = None
        self._state.refresh(record)
        return Outcome()

    def offer_answered(self, call_id: str, now: float) -> Outcome:
        assignment = self._ringing(call_id)
        out = Outcome()
        self._state.apply(assignment.agent_id, Answer(call_id), now, out)
        self._state.assigned[call_id] = replace(assignment, answered_at=now)
        return out

    def offer_failed(self, call_id: str, now: float, reason: str = "ring no answer") -> Outcome:
        """The agent did not answer: the call goes back to its place (it keeps its escalation steps
        too), the agent to not-ready "missed"."""
        assignment = self._ringing(call_id)
        out = Outcome()
        del self._state.assigned[call_id]
        freed = self._state.apply(assignment.agent_id, RingNoAnswer(call_id), now, out)
        out.actions.append(Requeued(call_id, assignment.call.queue, assignment.agent_id, reason))
        dirty: dict[str, str] = {}
        record = self._state.enqueue(assignment.call, now)
        run_due(self._state, record, now, out, dirty)
        if call_id in self._state.waiting:
            dirty[call_id] = "requeued"
        self._match(self._state, now, [assignment.agent_id] if freed else [], dirty, out)
        return out

    def call_left(self, call_id: str, now: float, reason: str = "abandoned") -> Outcome:
        """The caller hung up (or was taken elsewhere) while waiting or while an agent's phone rang.
        A call already connected ends as in `call_ended`; an unknown call is ignored."""
        state, out = self._state, Outcome()
        if call_id in state.waiting:
            call = state.dequeue(call_id).call
            out.actions.append(CallLeft(call_id, call.queue, now - call.enqueued_at, reason))
            return out
        assignment = state.assigned.get(call_id)
        if assignment is None:
            return out
        if assignment.answered_at is not None:
            return self.call_ended(call_id, now)
        del state.assigned[call_id]
        freed = state.apply(assignment.agent_id, OfferCancelled(call_id), now, out)
        out.actions.append(CallLeft(call_id, assignment.call.queue, now - assignment.call.enqueued_at, reason))
        if freed:
            self._match(state, now, [assignment.agent_id], {}, out)
        return out

    def call_ended(self, call_id: str, now: float) -> Outcome:
        """A connected call is over: the agent goes to wrap-up for the call's queue's time (or is free)."""
        state = self._state
        assignment = state.assigned.get(call_id)
        if assignment is None or assignment.answered_at is None:
            return self.call_left(call_id, now)
        out = Outcome()
        queue = state.queues[assignment.call.queue]
        del state.assigned[call_id]
        state.note_handled(queue.name, now - assignment.answered_at + queue.wrapup_s)
        if state.apply(assignment.agent_id, CallEnd(call_id, queue.wrapup_s), now, out):
            self._match(state, now, [assignment.agent_id], {}, out)
        return out

    def tick(self, now: float) -> Outcome:
        """Wrap-ups that are over, escalation steps and max waits that have come, announcements due."""
        out = Outcome()
        freed: list[str] = []
        dirty: dict[str, str] = {}
        self._advance(now, out, freed, dirty)
        self._match(self._state, now, freed, dirty, out)
        return out

    def rebalance(self, now: float, trigger: str = "rebalance") -> Outcome:
        """`tick`, then a look for every waiting call (a decision each): for a state loaded from a snapshot."""
        out = Outcome()
        freed: list[str] = []
        dirty: dict[str, str] = {}
        self._advance(now, out, freed, dirty)
        everything = dict.fromkeys(self._state.waiting, trigger) | dirty
        self._match(self._state, now, freed, everything, out)
        return out

    def _advance(self, now: float, out: Outcome, freed: list[str], dirty: dict[str, str]) -> None:
        state = self._state
        for agent_id in state.due_wrapups(now):
            if state.apply(agent_id, WrapupEnd(), now, out):
                freed.append(agent_id)
        for record in list(state.due_calls(now)):
            if record.call.call_id in state.waiting:
                run_due(state, record, now, out, dirty)

    def _ringing(self, call_id: str) -> Assignment:
        assignment = self._state.assigned.get(call_id)
        if assignment is None or assignment.answered_at is not None:
            raise ValueError(f"call {call_id} is not ringing at an agent")
        return assignment

    def _check_new(self, call: WaitingCall) -> None:
        if call.call_id in self._state.waiting or call.call_id in self._state.assigned:
            raise ValueError(f"call {call.call_id} is already queued or with an agent")
        if call.queue not in self._state.queues:
            raise ValueError(f"call {call.call_id}: unknown queue {call.queue}")

    # --- read side ---

    @property
    def queues(self) -> Mapping[str, Queue]:
        return self._state.queues

    @property
    def agents(self) -> Mapping[str, Agent]:
        return self._state.agents

    def status(self, agent_id: str) -> AgentStatus:
        return self._state.statuses[agent_id]

    def waiting(self) -> list[WaitingCall]:
        """Waiting calls in the order they would be served (rank, then longest waiting)."""
        return [r.call for r in sorted(self._state.waiting.values(), key=lambda r: r.key)]

    @property
    def waiting_count(self) -> int:
        return len(self._state.waiting)

    def is_waiting(self, call_id: str) -> bool:
        return call_id in self._state.waiting

    def requirements_of(self, call_id: str) -> Requirements:
        return self._state.waiting[call_id].needs

    def call(self, call_id: str) -> WaitingCall | None:
        """The call as the engine holds it now (waiting, or handed to an agent); None when it has none."""
        record = self._state.waiting.get(call_id)
        if record is not None:
            return record.call
        assignment = self._state.assigned.get(call_id)
        return None if assignment is None else assignment.call

    def assignment(self, call_id: str) -> Assignment | None:
        return self._state.assigned.get(call_id)

    def position(self, call_id: str) -> int:
        return self._state.position(call_id)

    def serving_agents(self, call_id: str) -> int:
        """Logged-in agents who qualify for the waiting call, whatever they are doing now."""
        return self._state.serving(self._state.waiting[call_id].needs)

    def estimated_wait_s(self, call_id: str) -> float | None:
        return self._state.estimated_wait(call_id)

    def next_due(self) -> float | None:
        return self._state.next_due()

    def snapshot(self) -> Snapshot:
        return self._state.snapshot()


def simulate(snapshot: Snapshot, now: float, *, reason_codes: Iterable[str] = DEFAULT_REASON_CODES) -> Outcome:
    """What the engine would do with `snapshot` at `now` (`POST /api/v1/routing/simulate`): due timers,
    then a look for every waiting call. Nothing outside is touched; `snapshot` is not changed."""
    return RoutingEngine.from_snapshot(snapshot, now, reason_codes=reason_codes).rebalance(now, "simulate")
