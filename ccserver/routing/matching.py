"""Pairing waiting calls with free agents, and the decision record of each look.

The rule (the brute-force matcher in brute_force.py is its plain statement): repeatedly, the first
waiting call in call order (rank, then longest waiting) that some free agent qualifies for gets the
agent its queue's strategy prefers. The engine keeps one invariant between events: no waiting call
has a free agent it qualifies for. So after an event only two kinds of pairs can exist: a call that
changed (arrived, re-queued, escalated: `dirty`) with any free agent, or any call with an agent that
just became free (`freed`). `match` looks only there, and gives the same pairs in the same order as
the full rule would.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ccserver.routing.agent_states import Offer
from ccserver.routing.decisions import Candidate, Decision, Exclusion, OfferCall, Outcome
from ccserver.routing.model import Assignment
from ccserver.routing.requirements import Gap, first_gap, gap_detail, gap_kind, in_force, skill_fit
from ccserver.routing.state import FREE, CallRecord, RoutingState
from ccserver.routing.strategies import AgentKey, CallKey, agent_key, score

DETAIL = 5  # candidates and exclusion examples kept per decision

# (state, now, agents just freed, changed calls -> trigger, outcome to add to)
Matcher = Callable[[RoutingState, float, Sequence[str], Mapping[str, str], Outcome], None]


@dataclass(slots=True)
class Pick:
    """One look for an agent for one call: the chosen agent and what the decision record needs."""

    agent_id: str | None
    eligible: list[AgentKey]  # (each with the agent's skill fit, for the candidates' scores)
    fits: dict[str, int] = field(default_factory=dict)
    excluded: list[tuple[str, Gap]] = field(default_factory=list)  # the first few agents left out, and why
    gaps: Counter[Gap] = field(default_factory=Counter)
    outside: int = 0  # free agents not looked at: they lack every group's key skill
    keys: Sequence[str] = ()


def match(state: RoutingState, now: float, freed: Sequence[str], dirty: Mapping[str, str], out: Outcome) -> None:
    """Offer calls to agents until no waiting call has a free agent it qualifies for (see module doc)."""
    pending = [(state.waiting[c].key, c) for c in dirty if c in state.waiting]
    heapq.heapify(pending)
    agents = list(dict.fromkeys(freed))
    while True:
        first: tuple[CallKey, Pick] | None = None
        while pending:
            key, call_id = pending[0]
            record = state.waiting.get(call_id)
            if record is None:
                heapq.heappop(pending)
                continue
            pick = choose_agent(state, record, now)
            if pick.agent_id is None:
                heapq.heappop(pending)
                out.decisions.append(decision(state, record, pick, dirty[call_id], now))
                continue
            first = (key, pick)
            break
        via_agent: CallKey | None = None
        for agent_id in agents:
            if agent_id in state.free:
                found = state.index.best_for(state.agents[agent_id].skills)
                if found is not None and (via_agent is None or found < via_agent):
                    via_agent = found
        if first is not None and (via_agent is None or first[0] <= via_agent):
            heapq.heappop(pending)
            call_id, pick = first[0][2], first[1]
        elif via_agent is not None:
            call_id = via_agent[2]
            pick = choose_agent(state, state.waiting[call_id], now)
        else:
            return
        offer(state, state.waiting[call_id], pick, dirty.get(call_id, "agent_available"), now, out)


def choose_agent(state: RoutingState, record: CallRecord, now: float) -> Pick:
    """The free agent `record`'s queue strategy prefers among those who qualify (index look-up)."""
    needs = record.needs
    strategy = state.queues[record.call.queue].strategy
    ids, keys = state.free.candidates(needs)
    agents, statuses = state.agents, state.statuses
    pick = Pick(None, [], outside=len(state.free) - len(ids), keys=keys)
    for agent_id in ids:
        skills = agents[agent_id].skills
        fit = skill_fit(skills, needs)
        if fit is not None:
            pick.eligible.append(agent_key(strategy, statuses[agent_id], fit, now))
            pick.fits[agent_id] = fit
        else:
            gap = first_gap(skills, needs)
            assert gap is not None
            pick.gaps[gap] += 1
            if len(pick.excluded) < DETAIL:
                pick.excluded.append((agent_id, gap))
    if pick.eligible:
        pick.agent_id = min(pick.eligible)[3]
    return pick


def offer(state: RoutingState, record: CallRecord, pick: Pick, trigger: str, now: float, out: Outcome) -> None:
    """Give the call to `pick.agent_id`: it leaves the queue, the agent is reserved, the phone rings."""
    agent_id = pick.agent_id
    assert agent_id is not None
    agent, call = state.agents[agent_id], record.call
    out.decisions.append(decision(state, record, pick, trigger, now))
    state.dequeue(call.call_id)
    state.apply(agent_id, Offer(call.call_id, agent.max_concurrent), now, out)
    state.assigned[call.call_id] = Assignment(call, agent_id)
    out.actions.append(OfferCall(call.call_id, agent_id, agent.extension, call.queue, call.callback))


def decision(state: RoutingState, record: CallRecord, pick: Pick, trigger: str, now: float) -> Decision:
    call = record.call
    queue = state.queues[call.queue]
    candidates = tuple(
        Candidate(key[3], *score(queue.strategy, state.statuses[key[3]], pick.fits[key[3]], now))
        for key in heapq.nsmallest(DETAIL, pick.eligible)
    )
    counts: Counter[str] = Counter()
    for gap, n in pick.gaps.items():
        counts[gap_kind(gap)] += n
    if pick.outside:
        counts["lacks skill " + " / ".join(pick.keys) if pick.keys else "no skill group met"] += pick.outside
    for label, n in state.labels.items():
        if n and label != FREE:
            counts[label] += n
    return Decision(
        at=now, trigger=trigger, call_id=call.call_id, queue=queue.name, rank=queue.priority + call.priority,
        waited_s=now - call.enqueued_at, agent_id=pick.agent_id, step=call.step, step_text=in_force(queue, call.step),
        requirements=record.needs, strategy=queue.strategy, eligible=len(pick.eligible), candidates=candidates,
        excluded=tuple(Exclusion(agent_id, gap_detail(gap)) for agent_id, gap in pick.excluded),
        excluded_counts=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
