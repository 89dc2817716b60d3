"""The agent state machine on its own: which moves are allowed, and what every move records."""

from __future__ import annotations

import pytest

from ccserver.routing import AgentStatus, IllegalTransition, Login, Logout, NotReady, Ready, Transition, transition
from ccserver.routing.agent_states import (
    Answer,
    CallEnd,
    EndWrapupEarly,
    ExtendWrapup,
    Offer,
    OfferCancelled,
    RingNoAnswer,
    WrapupEnd,
)

OUT = AgentStatus("ann")


def walk(status: AgentStatus, *steps: tuple[float, object]) -> tuple[AgentStatus, list[Transition]]:
    records = []
    for now, event in steps:
        status, record = transition(status, event, now)  # type: ignore[arg-type]
        if record is not None:
            records.append(record)
    return status, records


def test_a_logged_out_agent_cannot_be_offered_or_put_on_a_call() -> None:
    with pytest.raises(IllegalTransition, match="Answer while logged_out|not ringing"):
        transition(OUT, Answer("c1"), 0)
    with pytest.raises(IllegalTransition, match="no offer while logged_out"):
        transition(OUT, Offer("c1"), 0)


def test_a_whole_shift_records_every_transition_with_its_time_and_reason() -> None:
    status, records = walk(
        OUT, (0, Login()), (5, Ready()), (10, Offer("c1")), (14, Answer("c1")), (74, CallEnd("c1", wrapup_s=20)),
        (94, WrapupEnd()), (100, NotReady("lunch")), (160, Ready()), (170, Logout()),
    )
    assert [(r.from_state, r.to_state, r.at, r.reason, r.call_id) for r in records] == [
        ("logged_out", "not_ready", 0, "login", None),
        ("not_ready", "ready", 5, "ready", None),
        ("ready", "reserved", 10, "offered", "c1"),
        ("reserved", "on_call", 14, "answered", "c1"),
        ("on_call", "wrap_up", 74, "call ended", "c1"),
        ("wrap_up", "ready", 94, "wrap-up over", None),
        ("ready", "not_ready", 100, "lunch", None),
        ("not_ready", "ready", 160, "ready", None),
        ("ready", "logged_out", 170, "logout", None),
    ]
    assert status.busy_seconds == 80  # 60 s talking + 20 s wrap-up


def test_ring_no_answer_makes_the_agent_not_ready_missed() -> None:
    status, _ = walk(OUT, (0, Login(ready=True)), (1, Offer("c1")), (16, RingNoAnswer("c1")))
    assert (status.state, status.reason, status.offered) == ("not_ready", "missed", ())


def test_an_offer_withdrawn_returns_the_agent_to_ready_with_its_idle_time_kept() -> None:
    status, _ = walk(OUT, (0, Login(ready=True)), (30, Offer("c1")), (35, OfferCancelled("c1")))
    assert (status.state, status.idle_since) == ("ready", 0)


def test_a_call_with_no_wrap_up_time_makes_the_agent_ready_at_once() -> None:
    status, _ = walk(OUT, (0, Login(ready=True)), (1, Offer("c1")), (2, Answer("c1")), (50, CallEnd("c1")))
    assert (status.state, status.idle_since) == ("ready", 50)


def test_wrap_up_cannot_end_before_its_time_but_the_agent_can_end_or_extend_it() -> None:
    status, _ = walk(OUT, (0, Login(ready=True)), (1, Offer("c1")), (2, Answer("c1")), (10, CallEnd("c1", 30)))
    with pytest.raises(IllegalTransition, match="wrap-up runs until 40"):
        transition(status, WrapupEnd(), 20)
    extended, record = transition(status, ExtendWrapup(15), 20)
    assert extended.wrapup_until == 55 and record is not None and record.reason == "wrap-up extended 15 s"
    early, _ = transition(extended, EndWrapupEarly(), 21)
    assert early.state == "ready"


def test_not_ready_and_logout_during_a_call_wait_for_the_call_to_end() -> None:
    on_call, _ = walk(OUT, (0, Login(ready=True)), (1, Offer("c1")), (2, Answer("c1")))
    pending, _ = walk(on_call, (3, NotReady("break")), (60, CallEnd("c1")))
    assert (pending.state, pending.reason) == ("not_ready", "break")
    cancelled, _ = walk(on_call, (3, NotReady("break")), (4, Ready()), (60, CallEnd("c1")))
    assert cancelled.state == "ready"
    leaving, _ = walk(on_call, (3, Logout()), (60, CallEnd("c1", 10)), (70, WrapupEnd()))
    assert leaving.state == "logged_out"


def test_a_full_agent_is_not_offered_another_call_and_repeats_change_nothing() -> None:
    reserved, _ = walk(OUT, (0, Login(ready=True)), (1, Offer("c1")))
    with pytest.raises(IllegalTransition, match="1/1 calls"):
        transition(reserved, Offer("c2"), 2)
    second, _ = walk(reserved, (2, Offer("c2", max_concurrent=2)))
    assert second.offered == ("c1", "c2")
    ready, _ = walk(OUT, (0, Login(ready=True)))
    assert transition(ready, Ready(), 5) == (ready, None)
    with pytest.raises(IllegalTransition, match="Login while ready"):
        transition(ready, Login(), 6)


def test_what_the_agent_says_in_wrap_up_replaces_what_was_pending_from_the_call() -> None:
    on_call, _ = walk(OUT, (0, Login(ready=True)), (1, Offer("c1")), (2, Answer("c1")), (3, NotReady("break")))
    wrap_up, _ = walk(on_call, (60, CallEnd("c1", 30)))
    assert (wrap_up.state, wrap_up.pending) == ("wrap_up", "not_ready")
    ready, _ = walk(wrap_up, (65, Ready()))
    assert (ready.state, ready.pending) == ("ready", None)
    lunch, _ = walk(wrap_up, (65, NotReady("lunch")))
    assert (lunch.state, lunch.reason, lunch.pending) == ("not_ready", "lunch", None)
