"""What a supervisor's wallboard shows of the live ACD, read from the routing engine: per queue the
calls waiting and the agents who can take them by state; and every logged-in agent. Pure: the engine
and `now` in, plain data out, so `Acd` and the tests build it alike.

It runs every second against thousands of agents, so who-can-serve-which-queue is not a loop over
queues x agents: each logged-in agent is a bit, each (skill, level) a queue asks for has the mask of
the agents at that level or better, and a queue's agents in a state are a few ANDs and a popcount.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccserver.routing.engine import RoutingEngine
from ccserver.routing.model import AgentState, Queue, WaitingCall
from ccserver.routing.requirements import Requirements, requirements

LOGGED_IN_STATES: tuple[AgentState, ...] = ("ready", "not_ready", "reserved", "on_call", "wrap_up")
_NO_CALLS = (0, 0, 0.0)  # waiting, callbacks waiting, longest wait


@dataclass(frozen=True, slots=True)
class QueueLive:
    """One queue now. `waiting` counts callers on hold (callback requests apart, in `callbacks_waiting`);
    `longest_wait_s` is the longest of those callers' waits so far (0 when none waits), counted from
    when the call first queued. `agents`: logged-in agents with the queue's own required skills, by state."""

    name: str
    sl_threshold_s: float
    sl_target_pct: float
    waiting: int
    callbacks_waiting: int
    longest_wait_s: float
    agents: dict[str, int]


@dataclass(frozen=True, slots=True)
class AgentLive:
    """A logged-in agent. `reason` is the not-ready reason (None in other states); `since` POSIX seconds."""

    id: str
    name: str
    extension: str
    state: AgentState
    reason: str | None
    since: float


@dataclass(frozen=True, slots=True)
class LiveWallboard:
    at: float
    queues: list[QueueLive]  # by name
    agents: list[AgentLive]  # by name, then id


def live_wallboard(engine: RoutingEngine, now: float) -> LiveWallboard:
    """Every queue (by name) and every logged-in agent (by name) at `now`."""
    queues = sorted(engine.queues.values(), key=lambda q: q.name)
    needs = [requirements(queue, _probe(queue), 0) for queue in queues]
    agents = _logged_in(engine)
    serving = _ServingAgents(engine, agents, needs)
    calls = _waiting_by_queue(engine.waiting(), now)
    views = []
    for queue, queue_needs in zip(queues, needs, strict=True):
        waiting, callbacks, longest = calls.get(queue.name, _NO_CALLS)
        views.append(QueueLive(
            name=queue.name, sl_threshold_s=queue.sl_threshold_s, sl_target_pct=queue.sl_target_pct,
            waiting=waiting, callbacks_waiting=callbacks, longest_wait_s=longest,
            agents=serving.by_state(queue_needs),
        ))
    agents.sort(key=lambda a: (a.name, a.id))
    return LiveWallboard(at=now, queues=views, agents=agents)


def _probe(queue: Queue) -> WaitingCall:
    """A call with no needs of its own: its requirements are the queue's own, before any escalation."""
    return WaitingCall(call_id="", queue=queue.name, enqueued_at=0.0)


def _waiting_by_queue(calls: list[WaitingCall], now: float) -> dict[str, tuple[int, int, float]]:
    """queue -> (callers waiting, callback requests, longest caller's wait)."""
    out: dict[str, tuple[int, int, float]] = {}
    for call in calls:
        held, callbacks, longest = out.get(call.queue, _NO_CALLS)
        if call.callback:
            out[call.queue] = (held, callbacks + 1, longest)
        else:
            out[call.queue] = (held + 1, callbacks, max(longest, now - call.enqueued_at))
    return out


def _logged_in(engine: RoutingEngine) -> list[AgentLive]:
    out = []
    for agent in engine.agents.values():
        status = engine.status(agent.id)
        if status.state != "logged_out":
            out.append(AgentLive(
                id=agent.id, name=agent.name, extension=agent.extension, state=status.state,
                reason=status.reason if status.state == "not_ready" else None, since=status.since,
            ))
    return out


class _ServingAgents:
    """Bit masks over the logged-in agents: one per state, one per (skill, level) the queues ask for."""

    def __init__(self, engine: RoutingEngine, agents: list[AgentLive], needs: list[Requirements]) -> None:
        levels: dict[str, set[int]] = {}
        for groups in needs:
            for group in groups:
                for skill, level in group:
                    levels.setdefault(skill, set()).add(level)
        asked = {skill: sorted(wanted) for skill, wanted in levels.items()}
        self.everyone = 0
        self.in_state: dict[str, int] = dict.fromkeys(LOGGED_IN_STATES, 0)
        self.at_least: dict[tuple[str, int], int] = {}
        for index, live in enumerate(agents):
            bit = 1 << index
            self.everyone |= bit
            self.in_state[live.state] |= bit
            for skill, have in engine.agents[live.id].skills.items():
                for level in asked.get(skill, ()):
                    if have < level:
                        break
                    self.at_least[(skill, level)] = self.at_least.get((skill, level), 0) | bit

    def by_state(self, needs: Requirements) -> dict[str, int]:
        qualified = 0
        for group in needs:
            agents = self.everyone
            for key in group:
                agents &= self.at_least.get(key, 0)
            qualified |= agents
        return {state: (qualified & mask).bit_count() for state, mask in self.in_state.items()}
