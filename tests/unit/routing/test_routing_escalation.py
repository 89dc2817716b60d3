"""What waiting does to a call: escalation steps in order, overflow, callback, voicemail, max wait,
announcements."""

from __future__ import annotations

from ccserver.routing import (
    Announce,
    Escalated,
    EscalationStep,
    OfferCallback,
    Overflowed,
    Queue,
    SendToVoicemail,
    validate_queues,
)

from .support import Center, agent, speaks

STEPS = (
    EscalationStep(30, "relax_skill", skill="billing", min_level=3),
    EscalationStep(60, "widen", skills={"general": 1}),
    EscalationStep(90, "offer_callback"),
    EscalationStep(120, "overflow", queue="overflow"),
)
BILLING = Queue("billing", skills={"billing": 5}, escalation=STEPS)
OVERFLOW = Queue("overflow", skills={"general": 1}, max_wait_s=300)


def test_after_30s_the_minimum_level_is_lowered() -> None:
    center = Center([BILLING, OVERFLOW], [agent("junior", billing=3)])
    center.login("junior")
    center.arrive("c1", "billing")
    assert center.at(29.9).actions == [] and center.engine.next_due() == 30
    at_30 = center.at(30)
    assert at_30.actions[0] == Escalated("c1", "billing", 1, "step 1 (after 30 s): relax billing to 3")
    assert center.offers() == [("c1", "junior")]
    assert at_30.decisions[0].step == 1 and at_30.decisions[0].trigger == "escalation"


def test_after_60s_a_wider_group_may_take_the_call_but_still_in_the_callers_language() -> None:
    center = Center([BILLING, OVERFLOW], [speaks("gus", "en", general=4), speaks("gina", "es", general=2)])
    center.login("gus", "gina")
    center.arrive("c1", "billing", language="es")
    at_60 = center.at(60)
    assert at_60.decisions[0].requirements == ((("billing", 3), ("lang:es", 1)), (("general", 1), ("lang:es", 1)))
    assert center.offers() == [("c1", "gina")]


def test_escalation_steps_apply_in_order_even_when_a_tick_comes_late() -> None:
    center = Center([BILLING, OVERFLOW])
    center.arrive("c1", "billing")
    late = center.at(100)
    assert [(a.step, a.description.split(": ")[1]) for a in late.actions if isinstance(a, Escalated)] == [
        (1, "relax billing to 3"), (2, "widen to general>=1"), (3, "offer callback")]
    assert OfferCallback("c1", "billing") in late.actions
    assert center.engine.requirements_of("c1") == ((("billing", 3),), (("general", 1),))


def test_overflow_moves_the_call_keeping_its_place_ahead_of_later_callers() -> None:
    center = Center([BILLING, OVERFLOW], [agent("gus", general=3)])
    center.arrive("c1", "billing")
    center.now = 100
    center.arrive("c2", "overflow")
    moved = center.at(120)
    assert Overflowed("c1", "billing", "overflow", "step 4 (after 120 s): overflow to overflow") in moved.actions
    assert [c.call_id for c in center.engine.waiting()] == ["c1", "c2"]
    assert center.engine.waiting()[0].queue_entered_at == 120  # its new queue's steps count from here
    center.login("gus")
    assert center.offers() == [("c1", "gus")]


def test_max_wait_without_an_overflow_queue_sends_the_caller_to_voicemail() -> None:
    center = Center([BILLING, OVERFLOW])
    center.arrive("c1", "overflow")
    assert center.at(300).actions == [SendToVoicemail("c1", "overflow", "max wait 300 s")]
    assert center.engine.waiting() == []


def test_a_voicemail_step_takes_the_call_out_of_the_queue() -> None:
    queue = Queue("night", skills={"general": 1}, escalation=(EscalationStep(45, "voicemail"),))
    center = Center([queue])
    center.arrive("c1", "night")
    assert SendToVoicemail("c1", "night", "step 1 (after 45 s): voicemail") in center.at(45).actions


def test_a_callback_keeps_its_place_and_is_not_sent_to_voicemail() -> None:
    queue = Queue("sales", skills={"sales": 1}, max_wait_s=100,
                  escalation=(EscalationStep(30, "offer_callback"), EscalationStep(200, "voicemail")))
    center = Center([queue], [agent("sam", sales=5)])
    center.arrive("c1", "sales")
    center.now = 10
    center.arrive("c2", "sales")
    assert OfferCallback("c1", "sales") in center.at(30).actions
    center.engine.callback_requested("c1", center.now)
    # c2 was offered a callback at 40 s and, not taking it, reached the max wait at 110 s (before the
    # voicemail step at 200 s); c1, a callback now, only notes step 2.
    assert center.at(400).actions == [
        Escalated("c2", "sales", 1, "step 1 (after 30 s): offer callback"), OfferCallback("c2", "sales"),
        SendToVoicemail("c2", "sales", "max wait 100 s"),
        Escalated("c1", "sales", 2, "step 2 (after 200 s): voicemail"),
    ]
    center.login("sam")
    assert center.offers() == [("c1", "sam")] and center.outcomes[-1].offers[0].callback


def test_announcements_tell_position_and_estimated_wait() -> None:
    queue = Queue("sales", skills={"sales": 1}, announce_every_s=30)
    center = Center([queue], [agent("sam", sales=5), agent("sue", sales=5)])
    center.login("sam", "sue")
    for call_id in ("busy1", "busy2"):
        center.arrive(call_id, "sales")
        center.answer(call_id)
    center.arrive("c1", "sales")
    center.now = 5
    center.arrive("c2", "sales")
    first = center.at(30)
    # No handle time known yet: 180 s a call, shared by 2 agents.
    assert first.actions == [Announce("c1", "sales", 1, 90.0)]
    assert center.at(35).actions == [Announce("c2", "sales", 2, 180.0)]
    assert center.at(60).actions == [Announce("c1", "sales", 1, 90.0)]


def test_a_queue_configuration_that_would_loop_or_skip_steps_is_refused() -> None:
    loop_a = Queue("a", escalation=(EscalationStep(10, "overflow", queue="b"),))
    loop_b = Queue("b", overflow_queue="a", max_wait_s=60)
    late = Queue("late", escalation=(EscalationStep(60, "offer_callback"), EscalationStep(30, "voicemail")))
    problems = validate_queues([loop_a, loop_b, late, Queue("bad", skills={"x": 11}, overflow_queue="nowhere")])
    assert problems == [
        "queue late step 2: after 30 s comes before the step above it",
        "queue bad: skill x level 11 is not 1-10",
        "queue bad: overflow to unknown queue nowhere",
        "overflow cycle: a -> b -> a",
    ]
