"""What an agent's or supervisor's state request means to the routing engine."""

from __future__ import annotations

from ccserver.routing import Login, Logout, NotReady, Ready
from ccserver.routing.agent_states import AgentEvent, EndWrapupEarly, ExtendWrapup
from ccserver.routing.model import AgentStatus


def events_for_request(
    status: AgentStatus, state: str, reason: str | None, extend_s: float | None
) -> list[AgentEvent]:
    """ready / not_ready (reason) / logged_out / wrap_up (extend it by `extend_s`, or end it) from `status`."""
    logged_out = status.state == "logged_out"
    if state == "ready":
        return [Login(ready=True)] if logged_out else [Ready()]
    if state == "not_ready":
        return [Login(ready=False), NotReady(reason or "")] if logged_out else [NotReady(reason or "")]
    if state == "logged_out":
        return [Logout()]
    if state == "wrap_up":
        return [ExtendWrapup(extend_s or 0.0)] if extend_s else [EndWrapupEarly()]
    raise ValueError(f"unknown agent state {state!r}")
