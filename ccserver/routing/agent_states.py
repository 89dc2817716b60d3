"""The agent state machine, as one pure function: `transition(status, event, now)`.

    logged_out --Login--> not_ready (or ready) --Ready--> ready --Offer--> reserved --Answer--> on_call
    reserved --RingNoAnswer--> not_ready "missed"        reserved --OfferCancelled--> as before the offer
    (RingNoAnswer while still on other calls: not_ready "missed" is pending until they are over)
    on_call --CallEnd--> wrap_up (for the queue's wrap-up time; ready at once when it is 0)
    wrap_up --WrapupEnd (time over) / EndWrapupEarly / Ready--> ready;  ExtendWrapup adds time
    ready / not_ready / wrap_up --NotReady(reason)--> not_ready;  --Logout--> logged_out

During a call (reserved or on_call) NotReady and Logout are not refused: they are kept as `pending`
and applied when the agent is free again (after the wrap-up); meanwhile no new call is offered.
Ready during a call cancels a pending one. Agents with `max_concurrent` > 1 take further offers while
reserved or on_call; wrap-up starts when their last call ends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeAlias

from ccserver.routing.model import AgentState, AgentStatus

MISSED = "missed"
BUSY_STATES: frozenset[AgentState] = frozenset({"on_call", "wrap_up"})  # what least-occupied counts


class IllegalTransition(ValueError):
    """The event makes no sense in the agent's state (e.g. an offer to a logged-out agent)."""


@dataclass(frozen=True, slots=True)
class Login:
    ready: bool = False


@dataclass(frozen=True, slots=True)
class Ready:
    pass


@dataclass(frozen=True, slots=True)
class NotReady:
    reason: str


@dataclass(frozen=True, slots=True)
class Logout:
    reason: str = "logout"


@dataclass(frozen=True, slots=True)
class Offer:
    call_id: str
    max_concurrent: int = 1


@dataclass(frozen=True, slots=True)
class Answer:
    call_id: str


@dataclass(frozen=True, slots=True)
class RingNoAnswer:
    call_id: str


@dataclass(frozen=True, slots=True)
class OfferCancelled:
    call_id: str  # the caller left while the agent's phone rang


@dataclass(frozen=True, slots=True)
class CallEnd:
    call_id: str
    wrapup_s: float = 0.0


@dataclass(frozen=True, slots=True)
class WrapupEnd:
    pass  # the wrap-up time is over (the engine's tick sends it)


@dataclass(frozen=True, slots=True)
class EndWrapupEarly:
    pass


@dataclass(frozen=True, slots=True)
class ExtendWrapup:
    seconds: float


AgentEvent: TypeAlias = (
    Login | Ready | NotReady | Logout | Offer | Answer | RingNoAnswer | OfferCancelled | CallEnd | WrapupEnd
    | EndWrapupEarly | ExtendWrapup
)


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of an agent's status, as journaled: `from_state` may equal `to_state` (a reason
    change, an extra offer, a pending not-ready)."""

    agent_id: str
    from_state: AgentState
    to_state: AgentState
    at: float
    reason: str
    call_id: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"agent_id": self.agent_id, "from": self.from_state, "to": self.to_state, "at": self.at,
                "reason": self.reason, "call_id": self.call_id}


def transition(status: AgentStatus, event: AgentEvent, now: float) -> tuple[AgentStatus, Transition | None]:
    """The agent's status after `event` at `now`, and the transition record (None: nothing changed).
    Raises IllegalTransition when the event cannot happen in the current state."""
    new, reason, call_id = _apply(status, event, now)
    if new == status:
        return status, None
    if new.state != status.state:
        busy = now - status.since if status.state in BUSY_STATES else 0.0
        new = replace(new, since=now, busy_seconds=new.busy_seconds + busy)
    return new, Transition(status.agent_id, status.state, new.state, now, reason, call_id)


def _apply(s: AgentStatus, event: AgentEvent, now: float) -> tuple[AgentStatus, str, str | None]:
    match event:
        case Login(ready=ready):
            _need(s, event, "logged_out")
            state: AgentState = "ready" if ready else "not_ready"
            return replace(s, state=state, reason="login", logged_in_at=now, busy_seconds=0.0, idle_since=now,
                           pending=None, pending_reason=""), "login", None
        case Ready():
            return _ready(s, event, now)
        case NotReady(reason=reason):
            return _not_ready(s, event, reason)
        case Logout(reason=reason):
            if s.state == "logged_out":
                return s, reason, None
            if s.state in ("reserved", "on_call"):
                return replace(s, pending="logout", pending_reason=reason), f"logout after call: {reason}", None
            return _logged_out(s, reason), reason, None
        case Offer(call_id=call_id, max_concurrent=most):
            if s.state not in ("ready", "reserved", "on_call") or s.pending or s.active_calls >= most:
                raise IllegalTransition(f"agent {s.agent_id}: no offer while {_describe(s)}, "
                                        f"{s.active_calls}/{most} calls")
            return _with_calls(s, s.offered + (call_id,), s.connected), "offered", call_id
        case Answer(call_id=call_id):
            _holding(s, call_id, s.offered, "ringing")
            offered = tuple(c for c in s.offered if c != call_id)
            return _with_calls(s, offered, s.connected + (call_id,)), "answered", call_id
        case RingNoAnswer(call_id=call_id) | OfferCancelled(call_id=call_id):
            _holding(s, call_id, s.offered, "ringing")
            left = _with_calls(s, tuple(c for c in s.offered if c != call_id), s.connected)
            if isinstance(event, OfferCancelled):  # the agent did no work: keeps its place for longest-idle
                if left.active_calls:
                    return left, "offer withdrawn", call_id
                return _settle(left, now, reset_idle=False), "offer withdrawn", call_id
            if left.active_calls:  # still on other calls: not ready "missed" once they are over
                if s.pending == "logout":
                    return left, MISSED, call_id
                return replace(left, pending="not_ready", pending_reason=MISSED), MISSED, call_id
            if s.pending == "logout":
                return _logged_out(left, s.pending_reason), MISSED, call_id
            return replace(left, state="not_ready", reason=MISSED, pending=None, pending_reason=""), MISSED, call_id
        case CallEnd(call_id=call_id, wrapup_s=wrapup_s):
            _holding(s, call_id, s.connected, "connected")
            left = _with_calls(s, s.offered, tuple(c for c in s.connected if c != call_id))
            if left.active_calls:
                return left, "call ended", call_id
            if wrapup_s > 0:
                wrap_up = replace(left, state="wrap_up", reason="wrap-up", wrapup_until=now + wrapup_s)
                return wrap_up, "call ended", call_id
            return _settle(left, now), "call ended", call_id
        case WrapupEnd():
            _need(s, event, "wrap_up")
            if s.wrapup_until is not None and now < s.wrapup_until:
                raise IllegalTransition(f"agent {s.agent_id}: wrap-up runs until {s.wrapup_until}")
            return _settle(s, now), "wrap-up over", None
        case EndWrapupEarly():
            _need(s, event, "wrap_up")
            return _settle(s, now), "wrap-up ended early", None
        case ExtendWrapup(seconds=seconds):
            _need(s, event, "wrap_up")
            if seconds <= 0:
                raise IllegalTransition("a wrap-up is extended by a positive number of seconds")
            until = (s.wrapup_until if s.wrapup_until is not None else now) + seconds
            return replace(s, wrapup_until=until), f"wrap-up extended {seconds:g} s", None
    raise IllegalTransition(f"unknown agent event {event!r}")


def _ready(s: AgentStatus, event: AgentEvent, now: float) -> tuple[AgentStatus, str, str | None]:
    if s.state in ("reserved", "on_call"):
        return replace(s, pending=None, pending_reason=""), "ready after call", None
    _need(s, event, "ready", "not_ready", "wrap_up")
    if s.state == "ready":
        return s, "ready", None
    return replace(s, state="ready", reason="ready", idle_since=now, wrapup_until=None, pending=None,
                   pending_reason=""), "ready", None


def _not_ready(s: AgentStatus, event: AgentEvent, reason: str) -> tuple[AgentStatus, str, str | None]:
    if s.state in ("reserved", "on_call"):
        return replace(s, pending="not_ready", pending_reason=reason), f"not ready after call: {reason}", None
    _need(s, event, "ready", "not_ready", "wrap_up")
    new = replace(s, state="not_ready", reason=reason, wrapup_until=None, pending=None, pending_reason="")
    return new, reason, None


def _settle(s: AgentStatus, now: float, *, reset_idle: bool = True) -> AgentStatus:
    """Free again: what was asked for during the call (logout, not ready), else ready."""
    pending, reason = s.pending, s.pending_reason
    s = replace(s, wrapup_until=None, pending=None, pending_reason="")
    if pending == "logout":
        return _logged_out(s, reason)
    if pending == "not_ready":
        return replace(s, state="not_ready", reason=reason)
    return replace(s, state="ready", reason="ready", idle_since=now if reset_idle else s.idle_since)


def _logged_out(s: AgentStatus, reason: str) -> AgentStatus:
    return replace(s, state="logged_out", reason=reason, logged_in_at=None, wrapup_until=None, pending=None,
                   pending_reason="")


def _with_calls(s: AgentStatus, offered: tuple[str, ...], connected: tuple[str, ...]) -> AgentStatus:
    state: AgentState = "on_call" if connected else "reserved" if offered else s.state
    return replace(s, state=state, offered=offered, connected=connected)


def _need(s: AgentStatus, event: AgentEvent, *states: AgentState) -> None:
    if s.state not in states:
        raise IllegalTransition(f"agent {s.agent_id}: {type(event).__name__} while {_describe(s)}")


def _holding(s: AgentStatus, call_id: str, calls: tuple[str, ...], what: str) -> None:
    if call_id not in calls:
        raise IllegalTransition(f"agent {s.agent_id}: call {call_id} is not {what} at this agent")


def _describe(s: AgentStatus) -> str:
    pending = f" ({s.pending} pending)" if s.pending else ""
    return f"{s.state}{pending}"
