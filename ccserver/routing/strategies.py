"""Orderings: which waiting call goes first, and which free agent a queue's strategy prefers.

Calls: highest rank (queue priority + call priority) first, then longest waiting (`enqueued_at`),
then call id. Agents: fewest calls in hand first (it only matters with max_concurrent > 1), then:

- longest_idle: free the longest (`idle_since`);
- least_occupied: lowest share of logged-in time spent on calls and wrap-up, then longest idle;
- most_skilled: best skill fit (the sum of its levels over the required skills), then longest idle;

and the agent id last, so every ordering is total and the same everywhere it is used.
"""

from __future__ import annotations

from ccserver.routing.model import AgentStatus, Queue, Strategy, WaitingCall

CallKey = tuple[int, float, str]
AgentKey = tuple[float, float, float, str]


def call_key(call: WaitingCall, queue: Queue) -> CallKey:
    return (-(queue.priority + call.priority), call.enqueued_at, call.call_id)


def occupancy(status: AgentStatus, now: float) -> float:
    if status.logged_in_at is None or now <= status.logged_in_at:
        return 0.0
    return status.busy_seconds / (now - status.logged_in_at)


def agent_key(strategy: Strategy, status: AgentStatus, fit: int, now: float) -> AgentKey:
    """`fit`: `requirements.skill_fit` of the agent for the call (it must qualify)."""
    if strategy == "least_occupied":
        return (status.active_calls, occupancy(status, now), status.idle_since, status.agent_id)
    if strategy == "most_skilled":
        return (status.active_calls, -fit, status.idle_since, status.agent_id)
    return (status.active_calls, 0.0, status.idle_since, status.agent_id)


def score(strategy: Strategy, status: AgentStatus, fit: int, now: float) -> tuple[float, str]:
    """A candidate's score as people read it (higher is better within a strategy) and why."""
    idle = max(0.0, now - status.idle_since)
    load = f", {status.active_calls} calls in hand" if status.active_calls else ""
    if strategy == "least_occupied":
        share = occupancy(status, now) * 100
        return round(100 - share, 1), f"occupancy {share:.0f}%, idle {idle:.0f} s{load}"
    if strategy == "most_skilled":
        return float(fit), f"skill fit {fit}, idle {idle:.0f} s{load}"
    return round(idle, 1), f"idle {idle:.0f} s{load}"
