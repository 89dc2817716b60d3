"""The wallboard's live figures, read from a routing engine driven through a small contact center's
morning: calls waiting and callback requests per queue, the agents able to take each queue by state,
and the logged-in agents."""

from __future__ import annotations

import random

from ccserver.acd.live_view import AgentLive, QueueLive, live_wallboard
from ccserver.routing import (
    Agent,
    AgentStatus,
    EscalationStep,
    Login,
    NotReady,
    Queue,
    RoutingEngine,
    Snapshot,
    WaitingCall,
)
from ccserver.routing.requirements import requirements, satisfies

BILLING = Queue("billing", skills={"billing": 5}, wrapup_s=60.0, sl_threshold_s=30.0, sl_target_pct=90.0)
SALES = Queue("sales")  # anyone may sell
SPANISH = Queue("spanish", skills={"lang:es": 5},
                escalation=(EscalationStep(30.0, "widen", skills={"billing": 1}),))


def agent(agent_id: str, extension: str, **skills: int) -> Agent:
    return Agent(agent_id, extension=extension, name=agent_id.title(),
                 skills={k.replace("_", ":"): v for k, v in skills.items()})


def busy_morning() -> RoutingEngine:
    """gus took a billing call and is in wrap-up; ann's phone rings, bob talks, cid (billing 4) is
    ready but not good enough for billing, dee is at lunch, eve never logged in; three billing
    callers hold and one asked for a callback."""
    engine = RoutingEngine(
        queues=[BILLING, SALES, SPANISH],
        agents=[agent("ann", "1001", billing=7), agent("bob", "1002", billing=5), agent("cid", "1003", billing=4),
                agent("dee", "1004", billing=9, lang_es=8), agent("eve", "1005", billing=6),
                agent("gus", "1007", billing=8)],
    )
    engine.agent_changed("gus", Login(ready=True), 50.0)
    engine.call_arrived(WaitingCall("c0", "billing", enqueued_at=50.0), 50.0)
    engine.offer_answered("c0", 55.0)
    engine.call_ended("c0", 90.0)  # wrap-up until 150
    for agent_id in ("ann", "bob", "cid", "dee"):
        engine.agent_changed(agent_id, Login(ready=agent_id != "dee"), 95.0)
    engine.agent_changed("dee", NotReady("lunch"), 96.0)
    engine.call_arrived(WaitingCall("c1", "billing", enqueued_at=100.0), 100.0)  # to ann (most skilled)
    engine.call_arrived(WaitingCall("c2", "billing", enqueued_at=101.0), 101.0)  # to bob
    engine.offer_answered("c2", 104.0)
    for n, at in ((3, 110.0), (4, 120.0), (5, 130.0)):
        engine.call_arrived(WaitingCall(f"c{n}", "billing", enqueued_at=at), at)
    engine.callback_requested("c4", 125.0)
    return engine


def test_billing_shows_holding_callers_callbacks_and_its_qualified_agents_by_state() -> None:
    board = live_wallboard(busy_morning(), 160.0)

    billing = next(q for q in board.queues if q.name == "billing")
    assert billing == QueueLive(
        name="billing", sl_threshold_s=30.0, sl_target_pct=90.0, waiting=2, callbacks_waiting=1,
        longest_wait_s=50.0,  # c3, since 110; c4 waited longer but is a callback request now
        agents={"ready": 0, "not_ready": 1, "reserved": 1, "on_call": 1, "wrap_up": 1},  # cid too junior, eve out
    )


def test_a_queue_without_skills_counts_every_logged_in_agent_and_escalation_widening_does_not_count() -> None:
    board = live_wallboard(busy_morning(), 160.0)
    by_name = {q.name: q for q in board.queues}

    assert [q.name for q in board.queues] == ["billing", "sales", "spanish"]
    assert by_name["sales"].agents == {"ready": 1, "not_ready": 1, "reserved": 1, "on_call": 1, "wrap_up": 1}
    assert (by_name["sales"].waiting, by_name["sales"].callbacks_waiting, by_name["sales"].longest_wait_s) == (0, 0, 0)
    # only dee speaks Spanish; the step widening to billing agents is not the queue's own requirement
    assert by_name["spanish"].agents == {"ready": 0, "not_ready": 1, "reserved": 0, "on_call": 0, "wrap_up": 0}


def test_logged_in_agents_by_name_with_state_reason_and_since() -> None:
    board = live_wallboard(busy_morning(), 160.0)

    assert board.at == 160.0
    assert board.agents == [
        AgentLive("ann", "Ann", "1001", "reserved", None, 100.0),
        AgentLive("bob", "Bob", "1002", "on_call", None, 104.0),
        AgentLive("cid", "Cid", "1003", "ready", None, 95.0),
        AgentLive("dee", "Dee", "1004", "not_ready", "lunch", 95.0),  # not ready since login; lunch since 96
        AgentLive("gus", "Gus", "1007", "wrap_up", None, 90.0),
    ]


def test_counts_match_checking_every_agent_against_every_queue() -> None:
    """A bigger, random center (levels on both sides, several states): the bit masks give what the
    slow way (each agent's skills against each queue's requirements) gives."""
    rnd = random.Random(7)
    skills = ["billing", "tech", "sales", "lang:es", "lang:fr"]
    queues = [Queue(f"q{n}", skills=dict(rnd.sample([(s, rnd.randint(1, 10)) for s in skills], rnd.randint(0, 3))))
              for n in range(12)]
    agents = [Agent(f"a{n:03}", str(1000 + n), f"Agent {n:03}",
                    skills={s: rnd.randint(1, 10) for s in rnd.sample(skills, rnd.randint(0, 4))}) for n in range(300)]
    states = ["logged_out", "ready", "not_ready", "on_call", "wrap_up"]
    statuses = [AgentStatus(a.id, state=rnd.choice(states), since=1.0, reason="break") for a in agents]
    statuses = [AgentStatus(s.agent_id, s.state, 1.0, "x", connected=("c",) if s.state == "on_call" else ())
                for s in statuses]
    engine = RoutingEngine.from_snapshot(Snapshot(tuple(queues), tuple(agents), tuple(statuses)), 1.0)

    board = live_wallboard(engine, 2.0)

    for view, queue in zip(board.queues, sorted(queues, key=lambda q: q.name), strict=True):
        needs = requirements(queue, WaitingCall("probe", queue.name, 0.0), 0)
        expected = dict.fromkeys(["ready", "not_ready", "reserved", "on_call", "wrap_up"], 0)
        for a, s in zip(agents, statuses, strict=True):
            if s.state != "logged_out" and satisfies(a.skills, needs):
                expected[s.state] += 1
        assert view.agents == expected, queue
    assert len(board.agents) == sum(s.state != "logged_out" for s in statuses)
    assert sum(sum(q.agents.values()) for q in board.queues) > 0
