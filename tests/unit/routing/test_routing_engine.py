"""The routing engine as a contact center sees it: who gets which call, when, and why."""

from __future__ import annotations

import pytest

from ccserver.routing import (
    CallLeft,
    EndWrapupEarly,
    ExtendWrapup,
    IllegalTransition,
    Logout,
    NotReady,
    Queue,
    Requeued,
)

from .support import Center, agent, speaks

BILLING = Queue("billing", skills={"billing": 5}, wrapup_s=10)


def test_vip_caller_jumps_queue_but_keeps_skill_requirement() -> None:
    center = Center([BILLING], [speaks("ann", "en", billing=8), speaks("sofia", "es", "en", billing=6)])
    center.arrive("early", "billing", language="en")
    center.now = 5
    center.arrive("vip", "billing", priority=10, language="es")
    center.now = 10
    center.login("ann")
    assert center.agent_of("early") == "ann"  # the VIP needs Spanish: Ann cannot take it, so the next call goes
    center.arrive("later", "billing", language="en")
    center.login("sofia")
    assert center.agent_of("vip") == "sofia"  # VIP first, although "later" could also go to Sofia
    assert [c.call_id for c in center.engine.waiting()] == ["later"]


def test_spanish_billing_call_waits_for_an_agent_with_both_skills() -> None:
    center = Center([BILLING], [speaks("ann", "en", billing=9), speaks("pablo", "es", billing=3),
                                speaks("sofia", "es", billing=6)])
    center.login("ann", "pablo")
    arrived = center.arrive("c1", "billing", language="es")
    [decision] = arrived.decisions
    assert decision.agent_id is None and decision.requirements == ((("billing", 5), ("lang:es", 1)),)
    # Only agents with the rarest required skill are looked at one by one; the others are counted.
    assert {e.agent_id: e.reason for e in decision.excluded} == {"pablo": "skill billing 3 < 5"}
    assert dict(decision.excluded_counts) == {"lacks skill lang:es": 1, "skill billing below 5": 1, "logged out": 1}
    center.now = 40
    center.login("sofia")
    assert center.offers() == [("c1", "sofia")]


def test_ivr_skills_merge_with_the_queue_the_stricter_level_wins() -> None:
    center = Center([BILLING], [agent("ann", billing=6), agent("bob", billing=8)])
    center.login("ann", "bob")
    center.arrive("c1", "billing", skills={"billing": 7})
    center.arrive("c2", "billing", skills={"billing": 2})
    assert center.offers() == [("c1", "bob"), ("c2", "ann")]


def test_fifo_within_equal_priority() -> None:
    center = Center([BILLING], [agent("ann", billing=6)])
    for n in range(3):
        center.now = n
        center.arrive(f"c{n}", "billing")
    center.login("ann")
    assert center.offers() == [("c0", "ann")]
    assert [center.engine.position(c) for c in ("c1", "c2")] == [1, 2]


def test_queue_priority_adds_to_the_callers() -> None:
    urgent = Queue("urgent", skills={"billing": 1}, priority=5)
    center = Center([BILLING, urgent], [agent("ann", billing=6)])
    center.arrive("vip", "billing", priority=4)
    center.now = 1
    center.arrive("outage", "urgent")
    center.login("ann")
    assert center.offers() == [("outage", "ann")]


def test_most_skilled_strategy_prefers_proficiency() -> None:
    center = Center([BILLING], [agent("ann", billing=6), agent("bob", billing=9), agent("cy", billing=7)])
    center.login("bob", "ann", "cy")
    arrived = center.arrive("c1", "billing")
    assert center.offers() == [("c1", "bob")]
    assert [(c.agent_id, c.score) for c in arrived.decisions[0].candidates] == [("bob", 9), ("cy", 7), ("ann", 6)]


def test_longest_idle_strategy_prefers_the_agent_free_the_longest() -> None:
    queue = Queue("billing", skills={"billing": 5}, strategy="longest_idle")
    center = Center([queue], [agent("ann", billing=6), agent("bob", billing=9)])
    center.login("bob")
    center.now = 10
    center.login("ann")
    center.now = 20
    center.arrive("c1", "billing")
    assert center.offers() == [("c1", "bob")]
    assert center.outcomes[-1].decisions[0].candidates[0].detail == "idle 20 s"


def test_least_occupied_strategy_prefers_the_agent_least_busy_since_login() -> None:
    queue = Queue("billing", skills={"billing": 5}, strategy="least_occupied")
    center = Center([queue], [agent("ann", billing=6), agent("bob", billing=9)])
    center.login("ann", "bob")
    center.arrive("c1", "billing")  # bob: most skilled would not matter here; both idle since 0 -> agent id
    assert center.offers() == [("c1", "ann")]
    center.answer("c1")
    center.now = 100
    center.end("c1")  # ann busy 100 s of 100, then ready again
    center.arrive("c2", "billing")
    assert center.offers()[-1] == ("c2", "bob")


def test_ring_no_answer_puts_the_call_back_at_the_head_and_the_agent_not_ready_missed() -> None:
    center = Center([BILLING], [agent("ann", billing=6), agent("bob", billing=6)])
    center.login("ann")
    center.arrive("first", "billing")
    center.now = 5
    center.arrive("second", "billing")
    center.now = 20
    failed = center.keep(center.engine.offer_failed("first", center.now))
    assert Requeued("first", "billing", "ann", "ring no answer") in failed.actions
    assert center.status("ann").state == "not_ready" and center.status("ann").reason == "missed"
    assert [c.call_id for c in center.engine.waiting()] == ["first", "second"]
    center.login("bob")
    assert center.offers()[-1] == ("first", "bob")


def test_wrap_up_delays_the_next_offer() -> None:
    center = Center([BILLING], [agent("ann", billing=6)])
    center.login("ann")
    center.arrive("c1", "billing")
    center.answer("c1")
    center.now = 60
    center.end("c1")
    assert center.status("ann").state == "wrap_up" and center.engine.next_due() == 70
    center.arrive("c2", "billing")
    assert center.at(69).offers == []
    assert [(o.call_id, o.agent_id) for o in center.at(70).offers] == [("c2", "ann")]


def test_an_agent_may_end_wrap_up_early_or_extend_it() -> None:
    center = Center([BILLING], [agent("ann", billing=6)])
    center.login("ann")
    center.arrive("c1", "billing")
    center.answer("c1")
    center.end("c1")
    center.agent_does("ann", ExtendWrapup(30))
    assert center.engine.next_due() == 40 and center.at(10).transitions == []
    center.arrive("c2", "billing")
    ended = center.agent_does("ann", EndWrapupEarly())
    assert [(o.call_id, o.agent_id) for o in ended.offers] == [("c2", "ann")]


def test_not_ready_during_a_call_applies_after_wrap_up_and_no_call_is_offered_meanwhile() -> None:
    center = Center([BILLING], [agent("ann", billing=6)])
    center.login("ann")
    center.arrive("c1", "billing")
    center.answer("c1")
    center.agent_does("ann", NotReady("lunch"))
    assert center.status("ann").state == "on_call" and center.status("ann").pending == "not_ready"
    center.end("c1")
    center.arrive("c2", "billing")
    center.at(10)
    assert (center.status("ann").state, center.status("ann").reason) == ("not_ready", "lunch")
    assert center.agent_of("c2") is None


def test_logout_during_a_call_is_deferred_until_the_agent_is_free() -> None:
    center = Center([Queue("sales", skills={"sales": 1})], [agent("ann", sales=6)])
    center.login("ann")
    center.arrive("c1", "sales")
    center.agent_does("ann", Logout())
    center.answer("c1")
    assert center.status("ann").state == "on_call"
    center.end("c1")
    assert center.status("ann").state == "logged_out"


def test_unknown_not_ready_reason_is_refused() -> None:
    center = Center([BILLING], [agent("ann", billing=6)])
    center.login("ann")
    with pytest.raises(IllegalTransition, match="unknown not-ready reason"):
        center.agent_does("ann", NotReady("nap"))


def test_an_agent_with_two_lines_takes_a_second_call_while_on_the_first() -> None:
    chat = Queue("chat", skills={"chat": 1})
    center = Center([chat], [agent("ann", max_concurrent=2, chat=5)])
    center.login("ann")
    for call_id in ("c1", "c2", "c3"):
        center.arrive(call_id, "chat")
    assert center.offers() == [("c1", "ann"), ("c2", "ann")] and center.status("ann").active_calls == 2
    center.answer("c1")
    center.answer("c2")
    center.end("c1")  # one line frees up: the next chat comes in, no wrap-up while still on c2
    assert center.offers()[-1] == ("c3", "ann") and center.status("ann").state == "on_call"


def test_a_caller_who_hangs_up_while_waiting_leaves_with_the_wait_time() -> None:
    center = Center([BILLING], [agent("ann", billing=6)])
    center.arrive("c1", "billing")
    left = center.keep(center.engine.call_left("c1", 42.5))
    assert left.actions == [CallLeft("c1", "billing", 42.5, "abandoned")] and center.engine.waiting() == []


def test_a_caller_who_hangs_up_while_the_agent_rings_frees_the_agent_keeping_its_idle_place() -> None:
    queue = Queue("billing", skills={"billing": 5}, strategy="longest_idle")
    center = Center([queue], [agent("ann", billing=6), agent("bob", billing=6)])
    center.login("ann")
    center.now = 10
    center.login("bob")
    center.arrive("c1", "billing")  # to ann, idle the longest
    center.now = 12
    center.keep(center.engine.call_left("c1", center.now))
    assert center.status("ann").state == "ready" and center.status("ann").idle_since == 0
    center.arrive("c2", "billing")
    assert center.offers()[-1] == ("c2", "ann")


def test_new_skills_for_a_ready_agent_bring_the_calls_that_waited_for_them() -> None:
    center = Center([BILLING], [agent("ann", billing=3)])
    center.login("ann")
    center.arrive("c1", "billing")
    changed = center.keep(center.engine.set_agent(agent("ann", billing=5), center.now))
    assert [(o.call_id, o.agent_id) for o in changed.offers] == [("c1", "ann")]


def test_a_wrap_up_ended_early_and_the_next_one_ending_at_the_same_moment_end_once() -> None:
    queue = Queue("billing", skills={"billing": 5}, wrapup_s=5)
    center = Center([queue], [agent("ann", billing=6)])
    center.login("ann")
    center.arrive("c1", "billing")
    center.answer("c1")
    center.end("c1")  # wrap-up until 5
    center.agent_does("ann", EndWrapupEarly())
    center.arrive("c2", "billing")
    center.answer("c2")
    center.end("c2")  # wrap-up until 5 again
    assert [(t.from_state, t.to_state) for t in center.at(5).transitions] == [("wrap_up", "ready")]


def test_a_queue_asking_less_brings_its_waiting_calls_to_agents_who_now_qualify() -> None:
    center = Center([BILLING], [agent("ann", billing=3)])
    center.login("ann")
    center.arrive("c1", "billing")
    changed = center.keep(center.engine.set_queues([Queue("billing", skills={"billing": 3})], center.now))
    assert [(d.call_id, d.agent_id, d.trigger) for d in changed.decisions] == [("c1", "ann", "queues_changed")]
    with pytest.raises(ValueError, match="queues still in use: billing"):
        center.engine.set_queues([Queue("sales")], center.now)
