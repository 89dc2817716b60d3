"""The routing rule stated plainly, with no index: every waiting call against every available agent.

Waiting calls in call order (rank, then longest waiting, then id); each takes, among the agents free
at that moment who meet its requirements, the one its queue's strategy prefers. Going once through the
calls in that order gives the same pairs as "repeatedly pair the first call that has a free agent":
agents only get busier along the way, so a call passed over never gets an agent later in the pass.

It is the reference for the property tests (the engine must make the same offers) and the baseline
of `ccserver bench routing`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from ccserver.routing.decisions import Outcome
from ccserver.routing.matching import Pick, offer
from ccserver.routing.model import Agent, AgentStatus, Queue, Snapshot, WaitingCall
from ccserver.routing.requirements import Requirements, requirements, skill_fit
from ccserver.routing.state import RoutingState, is_free
from ccserver.routing.strategies import AgentKey, agent_key, call_key


def greedy(
    calls: Sequence[tuple[WaitingCall, Requirements]], agents: Mapping[str, Agent],
    statuses: Mapping[str, AgentStatus], queues: Mapping[str, Queue], now: float,
) -> Iterator[tuple[WaitingCall, Pick]]:
    """The pairs the routing rule makes, in order (the calls and statuses given are not changed)."""
    live = {a: statuses[a] for a in agents if a in statuses and is_free(agents[a], statuses[a])}
    for call, needs in sorted(calls, key=lambda c: call_key(c[0], queues[c[0].queue])):
        strategy = queues[call.queue].strategy
        fits = {a: fit for a in live if (fit := skill_fit(agents[a].skills, needs)) is not None}
        eligible: list[AgentKey] = [agent_key(strategy, live[a], fit, now) for a, fit in fits.items()]
        if not eligible:
            continue
        chosen = min(eligible)[3]
        yield call, Pick(chosen, eligible, fits)
        status = live[chosen]
        status = replace(status, offered=status.offered + (call.call_id,), state="reserved"
                         if status.state == "ready" else status.state)
        if is_free(agents[chosen], status):
            live[chosen] = status
        else:
            del live[chosen]


def pairs_in(snapshot: Snapshot, now: float) -> list[tuple[str, str]]:
    """(call, agent) pairs the rule makes on `snapshot` as it is (no escalation applied): empty when the
    snapshot keeps the engine's invariant."""
    queues = {q.name: q for q in snapshot.queues}
    agents = {a.id: a for a in snapshot.agents}
    statuses = {s.agent_id: s for s in snapshot.statuses}
    calls = [(c, requirements(queues[c.queue], c)) for c in snapshot.waiting]
    return [(call.call_id, pick.agent_id or "") for call, pick in greedy(calls, agents, statuses, queues, now)]


def brute_force_match(
    state: RoutingState, now: float, freed: Sequence[str], dirty: Mapping[str, str], out: Outcome,
) -> None:
    """A `Matcher` for `RoutingEngine(matcher=...)`: ignores the hints and runs the whole rule."""
    calls = [(r.call, r.needs) for r in state.waiting.values()]
    for call, pick in list(greedy(calls, state.agents, state.statuses, state.queues, now)):
        offer(state, state.waiting[call.call_id], pick, dirty.get(call.call_id, "agent_available"), now, out)
