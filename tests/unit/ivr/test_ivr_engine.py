"""Engine mechanics on small flows: retries, type-ahead, templates, attributes, and failing safe."""

from __future__ import annotations

from ccserver.ivr import engine
from ccserver.ivr.commands import CollectDigits, Digits, Finish, LookupResult, Play, Played, RoutingAttributes, Say

from .support import OPEN, STRANGER, Caller, flows_of

SURVEY = """
    flow: survey
    languages: [en, es]
    start: ask
    nodes:
      ask:
        type: menu
        prompt: rate_us
        options:
          "1": {next: thanks, vars: {score: good}, queue: happy, skills: {sales: 2}}
          "9": {next: thanks, set_language: es, priority: 3, skills: {sales: 7, spanish: 4}}
          "*": {next: thanks, language: fr}
        retries: 1
      thanks:
        type: route
        prompt: thanks
        skills: {sales: 5}
        priority: 4
"""


def test_later_attributes_win_and_skills_merge() -> None:
    caller = Caller(flows_of(SURVEY), flow="survey")
    caller.press("9")
    assert caller.finish.routing == RoutingAttributes(None, {"sales": 5, "spanish": 4}, 4, "es")
    assert caller.finish.language == "es"
    attributes = [e.detail for e in caller.kinds("AttributesSet")]
    assert attributes[0] == {"skills": {"sales": 7, "spanish": 4}, "priority": 3}
    assert attributes[-1] == {"queue": None, "skills": {"sales": 5, "spanish": 4}, "priority": 4, "language": "es"}


def test_an_explicit_agent_language_is_kept_whatever_the_caller_speaks() -> None:
    caller = Caller(flows_of(SURVEY), flow="survey")
    caller.press("*")
    assert caller.finish.routing.language == "fr" and caller.finish.language == "en"


def test_invalid_keys_and_silences_are_counted_separately_and_a_menu_without_fallback_gives_up() -> None:
    caller = Caller(flows_of(SURVEY), flow="survey")
    caller.press("5")
    caller.silence()
    assert isinstance(caller.command, CollectDigits)
    caller.press("6")
    assert caller.finish.outcome == "fallback" and caller.finish.reason == "ask: no valid answer after 2 tries"
    assert [e.kind for e in caller.events if e.kind in ("InvalidInput", "NoInput", "Error")] == [
        "InvalidInput", "NoInput", "InvalidInput", "Error"
    ]


def test_a_good_answer_resets_the_retry_count() -> None:
    flows = flows_of("""
        flow: loop
        languages: [en]
        start: menu
        nodes:
          menu:
            type: menu
            prompt: choose
            options: {"1": again, "2": done}
            retries: 1
          again: {type: play, prompt: ok, next: menu}
          done: {type: hangup}
    """)
    caller = Caller(flows, flow="loop")
    for _ in range(5):
        caller.press("8")  # one wrong key...
        caller.press("1")  # ...then right: the count starts over each time
        assert caller.heard() == CollectDigits(("choose",), "en", 1, 5.0)
    assert caller.step.state.retries == {}
    caller.press("2")
    assert caller.finish.outcome == "hangup"


VARIABLES = """
    flow: vars
    languages: [en]
    start: card
    nodes:
      card:
        type: collect
        prompt: card_number
        store: card
        min_length: 6
        max_length: 6
        validate: mod11
        pattern: "[1-9][0-9]*"
        next: copy
      copy:
        type: set
        vars: {greeting: "card {card} from {caller.e164} on {dialed}", tier: "{customer.tier}"}
        next: is_card
      is_card:
        type: condition
        field: card
        equals: "123455"
        then: say_it
        else: say_amount
      say_it: {type: say, digits: "{greeting}", next: say_amount}
      say_amount: {type: say, number: "{tier}", next: done}
      done: {type: hangup}
"""


def test_collected_values_feed_templates_conditions_and_say() -> None:
    caller = Caller(flows_of(VARIABLES), flow="vars")
    assert caller.press("023455") == CollectDigits(("card_number",), "en", 6, 5.0)  # pattern: no leading 0
    assert caller.press("123456") == CollectDigits(("card_number",), "en", 6, 5.0)  # wrong mod11 digit
    assert caller.press("123455") == Say("digits", "12345513125550199" "8005550100", "en")
    assert caller.step.state.variables["greeting"] == "card 123455 from +13125550199 on 8005550100"
    caller.heard()  # `number:` of an empty value is skipped
    assert caller.finish.outcome == "hangup"


def test_a_key_pressed_during_a_play_starts_the_next_collect() -> None:
    flows = flows_of("""
        flow: pin
        languages: [en]
        start: intro
        nodes:
          intro: {type: play, prompt: hello, next: pin}
          pin: {type: collect, prompt: enter_pin, store: pin, min_length: 4, max_length: 4, next: done}
          done: {type: hangup}
    """)
    caller = Caller(flows, flow="pin")
    assert caller.heard(interrupted_by="4") == CollectDigits((), "en", 3, 5.0)
    caller.press("321")
    assert caller.step.state.variables["pin"] == "4321"


def test_an_unknown_flow_falls_back_to_a_human() -> None:
    step = engine.start(flows_of(SURVEY), "nosuch", STRANGER, OPEN)
    assert step.command == Finish("fallback", RoutingAttributes(language="en"), (), "en", "no flow 'nosuch'")
    assert [e.kind for e in step.events] == ["Error", "Finished"]


def test_a_result_of_the_wrong_type_falls_back_instead_of_raising() -> None:
    caller = Caller(flows_of(SURVEY), flow="survey")
    caller.answer(LookupResult({"id": "x"}))
    assert caller.finish.outcome == "fallback"
    assert caller.finish.reason == "node 'ask' waits for Digits, got LookupResult"


def test_advancing_a_finished_call_only_repeats_the_fallback() -> None:
    caller = Caller(flows_of(SURVEY), flow="survey")
    caller.press("1")
    assert caller.answer(Played()) == Finish(
        "fallback", RoutingAttributes("happy", {"sales": 5}, 4, "en"), (), "en", "the flow had already finished"
    )


def test_a_runaway_loop_without_the_caller_is_cut_short() -> None:
    flows = flows_of("""
        flow: spin
        languages: [en]
        start: a
        nodes:
          a: {type: set, vars: {x: "1"}, next: b}
          b: {type: condition, field: x, equals: "1", then: a, else: a}
    """)
    step = engine.start(flows, "spin", STRANGER, OPEN)
    assert step.command.outcome == "fallback" and "a loop in the flow" in step.command.reason  # type: ignore[union-attr]
    assert len(step.state.path) == engine.MAX_TRANSITIONS


def test_goto_flow_keeps_the_callers_state_and_falls_back_to_a_language_the_other_flow_speaks() -> None:
    flows = flows_of(
        """
        flow: front
        languages: [en, es]
        start: pick
        nodes:
          pick: {type: menu, prompt: pick, options: {"2": {next: go, set_language: es, priority: 7}}}
          go: {type: goto_flow, flow: english_only, node: bye}
        """,
        """
        flow: english_only
        languages: [en]
        start: hello
        nodes:
          hello: {type: play, prompt: hello, next: bye}
          bye: {type: route, queue: q}
        """,
    )
    caller = Caller(flows, flow="front")
    caller.press("2")
    assert caller.finish.routing == RoutingAttributes("q", {}, 7, "en")
    assert [e.detail for e in caller.kinds("LanguageSet")] == [
        {"language": "es", "source": "menu"}, {"language": "en", "source": "flow"}
    ]
    assert caller.step.state.path[-1] == "english_only:bye"


def test_goto_an_unknown_flow_falls_back() -> None:
    flows = flows_of("""
        flow: lost
        languages: [en]
        start: go
        nodes:
          go: {type: goto_flow, flow: elsewhere}
    """)
    step = engine.start(flows, "lost", STRANGER, OPEN)
    reason = "goto_flow: no flow 'elsewhere'"
    assert step.command == Finish("fallback", RoutingAttributes(language="en"), (), "en", reason)


def test_the_engine_is_pure_the_same_state_and_result_give_the_same_step() -> None:
    flows = flows_of(SURVEY)
    first = engine.start(flows, "survey", STRANGER, OPEN)
    assert engine.start(flows, "survey", STRANGER, OPEN) == first
    one = engine.advance(flows, first.state, Digits("9"), OPEN)
    two = engine.advance(flows, first.state, Digits("9"), OPEN)
    assert one == two and first.state.language == "en"  # the old state did not change


def test_the_channel_language_is_used_when_the_flow_speaks_it() -> None:
    flows = flows_of(SURVEY)
    spanish = engine.CallInfo("1", None, "2", language="es")
    german = engine.CallInfo("1", None, "2", language="de")
    assert engine.start(flows, "survey", spanish, OPEN).command == CollectDigits(("rate_us",), "es", 1, 5.0)
    assert engine.start(flows, "survey", german, OPEN).command == CollectDigits(("rate_us",), "en", 1, 5.0)


def test_a_pinned_language_play_ignores_the_callers_language() -> None:
    flows = flows_of("""
        flow: pinned
        languages: [en, es]
        language: es
        start: intro
        nodes:
          intro: {type: play, prompt: press_1_for_english, language: en, next: done}
          done: {type: hangup, prompt: bye}
    """)
    caller = Caller(flows, flow="pinned")
    assert caller.command == Play(("press_1_for_english",), "en")
    caller.heard()
    assert caller.finish == Finish("hangup", RoutingAttributes(language="es"), ("bye",), "es")
