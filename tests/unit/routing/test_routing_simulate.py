"""Decisions on record and `simulate`: what the engine would do with a snapshot, touching nothing."""

from __future__ import annotations

import json
from dataclasses import replace

from ccserver.routing import AgentStatus, Queue, RoutingEngine, WaitingCall, simulate

from .support import Center, agent

BILLING = Queue("billing", skills={"billing": 5})


def test_simulate_shows_what_a_login_would_do_without_changing_the_engine() -> None:
    center = Center([BILLING], [agent("ann", billing=6), agent("bob", billing=7)])
    center.arrive("c1", "billing")
    center.now = 10
    center.arrive("c2", "billing")
    snapshot = center.engine.snapshot()
    bob_ready = AgentStatus("bob", state="ready", since=10, idle_since=10, logged_in_at=10)
    what_if = replace(snapshot, statuses=tuple(bob_ready if s.agent_id == "bob" else s for s in snapshot.statuses))
    outcome = simulate(what_if, 10)
    assert [(d.call_id, d.agent_id, d.trigger) for d in outcome.decisions] == [
        ("c1", "bob", "simulate"), ("c2", None, "simulate")]
    assert center.engine.status("bob").state == "logged_out" and len(center.engine.waiting()) == 2
    assert center.engine.snapshot() == snapshot


def test_an_engine_rebuilt_from_its_snapshot_carries_on_the_same() -> None:
    center = Center([BILLING], [agent("ann", billing=6), agent("bob", billing=7)])
    center.login("ann")
    center.arrive("c1", "billing")
    center.arrive("c2", "billing")
    rebuilt = RoutingEngine.from_snapshot(center.engine.snapshot(), center.now)
    assert rebuilt.snapshot() == center.engine.snapshot() and rebuilt.rebalance(0).offers == []
    rebuilt.offer_answered("c1", 1)
    assert rebuilt.call_ended("c1", 30).offers[0].call_id == "c2"


def test_a_decision_among_many_agents_keeps_a_few_candidates_and_counts_the_rest() -> None:
    agents = [agent(f"a{n:03}", billing=1 + n % 10) for n in range(300)]
    center = Center([BILLING], agents)
    center.login(*[a.id for a in agents[:200]])
    [decision] = center.arrive("c1", "billing").decisions
    assert decision.agent_id == "a009" and decision.eligible == 120  # levels 5-10 among the 200 ready
    assert [c.agent_id for c in decision.candidates] == ["a009", "a019", "a029", "a039", "a049"]
    assert len(decision.excluded) == 5
    assert dict(decision.excluded_counts) == {"logged out": 100, "skill billing below 5": 80}
    record = json.loads(json.dumps(decision.as_dict()))
    assert record["requirements"] == [{"billing": 5}] and record["candidates"][0]["detail"] == "skill fit 10, idle 0 s"


def test_a_callback_loaded_from_a_snapshot_keeps_its_original_place() -> None:
    center = Center([BILLING], [agent("ann", billing=6)])
    center.now = 500
    center.arrive("new", "billing")
    snapshot = center.engine.snapshot()
    callback = WaitingCall("cb", "billing", enqueued_at=100, callback=True, queue_entered_at=100)
    ready = AgentStatus("ann", state="ready", idle_since=0, logged_in_at=0)
    outcome = simulate(replace(snapshot, waiting=snapshot.waiting + (callback,), statuses=(ready,)), 500)
    assert [(o.call_id, o.agent_id, o.callback) for o in outcome.offers] == [("cb", "ann", True)]
