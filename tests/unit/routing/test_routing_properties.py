"""Properties of the engine over generated contact centers and event streams.

Every stream runs through the indexed engine and through the same engine with the brute-force
matcher; after every event they must have made the same offers and hold the same state, and the
indexed one must keep the rules: no agent over its capacity, no call offered twice, no call waiting
while an agent it qualifies for is free, first come first served within a rank, escalation steps in
order and on time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccserver.routing import (
    Escalated,
    IllegalTransition,
    Login,
    Logout,
    NotReady,
    Outcome,
    Overflowed,
    Ready,
    Requeued,
    RoutingEngine,
    SendToVoicemail,
    Snapshot,
)
from ccserver.routing.agent_states import AgentEvent, EndWrapupEarly, ExtendWrapup
from ccserver.routing.brute_force import brute_force_match, pairs_in
from ccserver.routing.requirements import satisfies
from ccserver.routing.strategies import call_key

from .worlds import QUEUES, agent_named, agents, queues, snapshots, waiting_call

AGENT_EVENTS: list[AgentEvent] = [Login(), Login(ready=True), Login(ready=True), Ready(), Ready(), NotReady("break"),
                                  Logout(), EndWrapupEarly(), ExtendWrapup(10)]


@dataclass
class Run:
    indexed: RoutingEngine
    brute: RoutingEngine
    now: float = 0.0
    calls: int = 0
    where: dict[str, tuple[str, int]] = field(default_factory=dict)  # call -> (queue, steps applied)

    def both(self, name: str, *args: object) -> Outcome | None:
        results: list[Outcome | type[Exception]] = []
        for engine in (self.indexed, self.brute):
            try:
                results.append(getattr(engine, name)(*args))
            except (IllegalTransition, ValueError, KeyError) as error:
                results.append(type(error))
        first, second = results
        if not isinstance(first, Outcome) or not isinstance(second, Outcome):
            assert first == second
            return None
        assert [(o.call_id, o.agent_id) for o in first.offers] == [(o.call_id, o.agent_id) for o in second.offers]
        assert first.actions == second.actions and first.transitions == second.transitions
        assert self.indexed.snapshot() == self.brute.snapshot()
        return first


def step(run: Run, data: st.DataObject) -> tuple[str, Outcome | None]:
    engine = run.indexed
    snap = engine.snapshot()
    ringing = [a.call.call_id for a in snap.assignments if a.answered_at is None]
    connected = [a.call.call_id for a in snap.assignments if a.answered_at is not None]
    waiting = [c.call_id for c in snap.waiting]
    kinds = ["arrive", "arrive", "agent", "agent", "agent", "tick", "tick", "set_agent"]
    kinds += ["answer", "answer", "answer", "fail"] if ringing else []
    kinds += ["end", "end", "end"] if connected else []
    kinds += ["leave", "callback"] if waiting else []
    kind = data.draw(st.sampled_from(kinds))
    if kind == "arrive":
        run.calls += 1
        call = data.draw(waiting_call(f"c{run.calls}", run.now, data.draw(st.sampled_from(QUEUES))))
        run.where[call.call_id] = (call.queue, 0)
        return kind, run.both("call_arrived", call, run.now)
    if kind == "agent":
        agent_id = data.draw(st.sampled_from(sorted(engine.agents)))
        return kind, run.both("agent_changed", agent_id, data.draw(st.sampled_from(AGENT_EVENTS)), run.now)
    if kind == "tick":
        run.now += data.draw(st.sampled_from([0.0, 0.1, 1.0, 2.7, 5.0, 12.3, 40.0]))
        return kind, run.both("tick", run.now)
    if kind == "set_agent":
        changed = data.draw(agent_named(data.draw(st.sampled_from(sorted(engine.agents)))))
        return kind, run.both("set_agent", changed, run.now)
    pool = {"answer": ringing, "fail": ringing, "end": connected, "leave": waiting + ringing, "callback": waiting}[kind]
    method = {"answer": "offer_answered", "fail": "offer_failed", "end": "call_ended", "leave": "call_left",
              "callback": "callback_requested"}[kind]
    return kind, run.both(method, data.draw(st.sampled_from(pool)), run.now)


def check_rules(run: Run, before: Snapshot, outcome: Outcome | None, kind: str) -> None:
    engine, now = run.indexed, run.now
    after = engine.snapshot()
    assert pairs_in(after, now) == []  # no call waits while an agent it qualifies for is free
    holders: dict[str, str] = {}
    load_before = {s.agent_id: s.active_calls for s in before.statuses}
    for status in after.statuses:  # (an agent's capacity lowered by set_agent mid-call is not routing's doing)
        most = engine.agents[status.agent_id].max_concurrent
        assert status.active_calls <= max(most, load_before.get(status.agent_id, 0))
        for call_id in status.offered + status.connected:
            assert call_id not in holders, f"{call_id} at {holders[call_id]} and {status.agent_id}"
            holders[call_id] = status.agent_id
    waiting_ids = {c.call_id for c in after.waiting}
    assert not waiting_ids & set(holders)
    logged_in = [a for a in after.agents if engine.status(a.id).state != "logged_out"]
    for call in after.waiting:  # the count estimated waits divide by
        needs = engine.requirements_of(call.call_id)
        assert engine.serving_agents(call.call_id) == sum(1 for a in logged_in if satisfies(a.skills, needs))
    if outcome is None:
        return
    offered = [o.call_id for o in outcome.offers]
    assert len(offered) == len(set(offered))  # never offered twice (nor held by two agents: above)
    missed = {(a.call_id, a.agent_id) for a in outcome.actions if isinstance(a, Requeued)}
    assert not missed & {(o.call_id, o.agent_id) for o in outcome.offers}  # not again to the agent who missed it
    for offer in outcome.offers:  # nothing still waiting ranked ahead and fit the agent it went to
        agent = engine.agents[offer.agent_id]
        chosen = [a.call for a in after.assignments if a.call.call_id == offer.call_id]
        if not chosen:
            continue  # already left again
        mine = call_key(chosen[0], engine.queues[chosen[0].queue])
        for call in after.waiting:
            if call_key(call, engine.queues[call.queue]) < mine:
                assert not satisfies(agent.skills, engine.requirements_of(call.call_id)), (call, offer)
    for action in outcome.actions:  # escalation steps one after the other, in each queue stint
        if isinstance(action, Escalated):
            queue, done = run.where[action.call_id]
            assert (action.queue, action.step) == (queue, done + 1)
            run.where[action.call_id] = (queue, action.step)
        elif isinstance(action, Overflowed):
            assert run.where[action.call_id][0] == action.from_queue
            run.where[action.call_id] = (action.to_queue, 0)
    if kind == "tick":  # and none late: every step whose time has come is applied
        for call in after.waiting:
            due = [s for s in engine.queues[call.queue].escalation if call.entered_at + s.after_s <= now]
            assert call.step == len(due), (call, now)
        next_due = engine.next_due()
        assert next_due is None or next_due > now


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_engine_matches_brute_force_and_keeps_the_routing_rules(data: st.DataObject) -> None:
    configured = data.draw(queues())
    people = data.draw(agents(data.draw(st.integers(1, 6))))
    run = Run(RoutingEngine(queues=configured, agents=people),
              RoutingEngine(queues=configured, agents=people, matcher=brute_force_match))
    for _ in range(data.draw(st.integers(5, 60))):
        before = run.indexed.snapshot()
        kind, outcome = step(run, data)
        check_rules(run, before, outcome, kind)


@settings(max_examples=300, deadline=None)
@given(snapshots())
def test_simulate_on_any_snapshot_pairs_like_brute_force(case: tuple[Snapshot, float]) -> None:
    snapshot, now = case
    indexed = RoutingEngine.from_snapshot(snapshot, now).rebalance(now)
    brute = RoutingEngine.from_snapshot(snapshot, now, matcher=brute_force_match).rebalance(now)
    assert [(o.call_id, o.agent_id) for o in indexed.offers] == [(o.call_id, o.agent_id) for o in brute.offers]
    assert [(d.call_id, d.agent_id) for d in indexed.decisions if d.agent_id] == [
        (o.call_id, o.agent_id) for o in indexed.offers]
    voicemail = {a.call_id for a in indexed.actions if isinstance(a, SendToVoicemail)}
    assert {d.call_id for d in indexed.decisions} | voicemail == {c.call_id for c in snapshot.waiting}
