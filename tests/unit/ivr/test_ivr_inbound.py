"""The demo inbound flow (dialplans/ivr/inbound.yaml + after_hours.yaml), as callers live it."""

from __future__ import annotations

from datetime import UTC, datetime

from ccserver.ivr import engine
from ccserver.ivr.commands import CollectDigits, Finish, LookupCustomer, Play, RecordMessage, RoutingAttributes, Say

from .support import STRANGER, Caller

MAIN_MENU = ("menu_billing", "menu_support", "menu_callback", "menu_agent")
JOSE = {"id": "5b0f7c53-7b0e-4c0c-9a53-0a4f8e0f5a11", "name": "José Martínez", "tier": "standard", "language": "es"}
GRACE = {"id": "0d9e7e8e-4f40-4c9c-8d3e-5f1c1b7b2a10", "name": "Grace Hopper", "tier": "vip", "language": "en"}
CHRISTMAS_MORNING = datetime(2025, 12, 25, 15, 0, tzinfo=UTC)  # 10:00 in New York, a Thursday
VALID_ACCOUNT = "79927398713"  # Luhn-valid
WRONG_CHECK_DIGIT = "79927398710"


def stranger_at_main_menu(language_key: str = "1", **kwargs: object) -> Caller:
    caller = Caller(**kwargs)  # type: ignore[arg-type]
    assert caller.command == LookupCustomer("caller_id", "+13125550199")
    assert caller.looked_up(None) == Play(("welcome",), "en")
    assert caller.heard() == Play(("language_english",), "en")
    assert caller.heard() == Play(("language_spanish",), "es")
    assert caller.heard() == CollectDigits((), "en", 1, 5.0)
    caller.press(language_key)
    return caller


def test_unknown_caller_chooses_spanish_and_hears_the_main_menu_in_spanish() -> None:
    caller = stranger_at_main_menu("2")
    assert caller.command == CollectDigits(MAIN_MENU, "es", 1, 5.0)
    assert [e.detail for e in caller.kinds("LanguageSet")] == [{"language": "es", "source": "menu"}]


def test_known_spanish_customer_hears_spanish_without_the_language_menu() -> None:
    caller = Caller()
    assert caller.looked_up(JOSE) == Play(("welcome_back",), "es")
    assert caller.heard() == CollectDigits(MAIN_MENU, "es", 1, 5.0)
    assert not any(node.endswith("language_menu") for node in caller.step.state.path)
    lookup = caller.kinds("Lookup")[0].detail
    assert lookup["found"] is True and lookup["customer_id"] == JOSE["id"] and lookup["language"] == "es"


def test_spanish_caller_reaching_support_is_routed_to_spanish_speaking_technicians() -> None:
    caller = Caller()
    caller.looked_up(JOSE)
    caller.heard()
    caller.press("2")
    assert caller.finish.routing == RoutingAttributes("support", {"technical": 3}, 0, "es")
    assert caller.finish.prompts == ("connecting",) and caller.finish.language == "es"


def test_vip_customer_jumps_the_queue_but_keeps_the_billing_skill() -> None:
    caller = Caller()
    assert caller.looked_up(GRACE) == Play(("welcome_back",), "en")
    assert caller.heard() == Play(("priority_customer",), "en")
    caller.heard()
    caller.press("1")
    caller.press(VALID_ACCOUNT)
    caller.heard(), caller.heard()
    caller.looked_up(GRACE)
    assert caller.finish.outcome == "handoff"
    assert caller.finish.routing == RoutingAttributes("billing", {"billing": 5}, 10, "en")


def test_wrong_account_checksum_asks_again_then_routes_to_billing() -> None:
    caller = stranger_at_main_menu()
    assert caller.press("1") == CollectDigits(("enter_account",), "en", 16, 8.0, "#")
    assert caller.press(WRONG_CHECK_DIGIT) == CollectDigits(("account_invalid", "enter_account"), "en", 16, 8.0, "#")
    invalid = caller.kinds("InvalidInput")[-1].detail
    assert invalid == {"attempt": 1, "max_attempts": 3, "reason": "wrong luhn check digit"}
    assert caller.press(VALID_ACCOUNT) == Play(("you_entered",), "en")
    assert caller.heard() == Say("digits", VALID_ACCOUNT, "en")
    assert caller.heard() == LookupCustomer("account", VALID_ACCOUNT)
    caller.looked_up({"id": "c1", "tier": "standard", "language": "es"})
    assert caller.finish.routing == RoutingAttributes("billing", {"billing": 5}, 0, "en")  # no language change
    assert caller.step.state.collected == {"account": VALID_ACCOUNT}
    assert [e.detail for e in caller.kinds("ValueCollected")] == [{"name": "account", "value": VALID_ACCOUNT}]


def test_caller_who_never_gets_the_account_number_right_still_reaches_billing() -> None:
    caller = stranger_at_main_menu()
    caller.press("1")
    caller.press("1234")  # too short
    caller.press(WRONG_CHECK_DIGIT)
    assert caller.press(WRONG_CHECK_DIGIT) == Finish(
        "handoff", RoutingAttributes("billing", {"billing": 5}, 0, "en"), ("connecting",), "en"
    )
    assert [e.detail["attempt"] for e in caller.kinds("InvalidInput")] == [1, 2, 3]


def test_unknown_account_is_told_and_still_reaches_billing() -> None:
    caller = stranger_at_main_menu()
    caller.press("1"), caller.press(VALID_ACCOUNT), caller.heard(), caller.heard()
    assert caller.looked_up(None) == Play(("account_not_found",), "en")
    caller.heard()
    assert caller.finish.routing.queue == "billing"


def test_wrong_key_at_the_main_menu_says_sorry_and_asks_again() -> None:
    caller = stranger_at_main_menu()
    assert caller.press("7") == CollectDigits(("invalid_choice", *MAIN_MENU), "en", 1, 5.0)
    assert caller.silence() == CollectDigits(("no_input", *MAIN_MENU), "en", 1, 5.0)
    caller.press("3")
    assert caller.finish.outcome == "callback" and caller.finish.routing.queue == "callbacks"


def test_silent_caller_ends_with_an_agent_after_three_tries() -> None:
    caller = stranger_at_main_menu()
    caller.silence(), caller.silence(), caller.silence()
    assert caller.finish.outcome == "handoff" and caller.finish.routing.queue == "general"
    assert [e.detail["attempt"] for e in caller.kinds("NoInput")] == [1, 2, 3]


def test_silence_at_the_language_menu_replays_both_languages_then_goes_on_in_english() -> None:
    caller = Caller()
    caller.looked_up(None), caller.heard(), caller.heard(), caller.heard()
    assert caller.silence() == Play(("language_english",), "en")
    assert caller.heard() == Play(("language_spanish",), "es")
    assert caller.heard() == CollectDigits((), "en", 1, 5.0)
    assert caller.silence() == CollectDigits(MAIN_MENU, "en", 1, 5.0)


def test_caller_pressing_two_during_the_welcome_skips_the_announcements_and_gets_spanish() -> None:
    caller = Caller()
    caller.looked_up(None)
    assert caller.heard(interrupted_by="2") == CollectDigits(MAIN_MENU, "es", 1, 5.0)
    assert [node.removeprefix("inbound:") for node in caller.step.state.path] == [
        "find_caller", "welcome", "language_english", "language_spanish", "language_menu", "check_hours",
        "check_tier", "main_menu",
    ]


def test_caller_without_caller_id_is_not_looked_up() -> None:
    caller = Caller(call=engine.CallInfo(caller_number="", caller_e164=None, dialed_number="8005550100"))
    assert caller.command == Play(("welcome",), "en")
    assert caller.kinds("Lookup")[0].detail == {"by": "caller_id", "found": False, "reason": "nothing to look up by"}


def test_after_hours_on_a_holiday_offers_voicemail() -> None:
    caller = Caller(now=CHRISTMAS_MORNING)
    caller.looked_up(JOSE)
    assert caller.heard() == Play(("closed",), "es")
    assert caller.heard() == CollectDigits(("after_hours_voicemail", "after_hours_callback"), "es", 1, 5.0)
    assert caller.press("1") == RecordMessage(("leave_message",), "es", 120)
    caller.recorded("/var/spool/ccserver/messages/1717.17-9.wav", 12.5)
    assert caller.finish.outcome == "voicemail"
    assert caller.finish.routing == RoutingAttributes("voicemail", {}, 0, "es")
    assert [e.detail["branch"] for e in caller.kinds("Condition")] == ["else"]
    assert [e.detail.get("came_from") for e in caller.kinds("FlowEntered")] == [None, "inbound"]


def test_closed_on_saturday_afternoon_and_weekday_evenings_but_open_saturday_morning() -> None:
    def opening(now: datetime) -> str:
        caller = Caller(now=now)
        caller.looked_up(GRACE)
        caller.heard()
        return caller.kinds("Condition")[0].detail["branch"]

    assert opening(datetime(2025, 6, 7, 14, 30, tzinfo=UTC)) == "then"  # Sat 10:30 in New York
    assert opening(datetime(2025, 6, 7, 18, 30, tzinfo=UTC)) == "else"  # Sat 14:30
    assert opening(datetime(2025, 6, 4, 0, 30, tzinfo=UTC)) == "else"  # Tue 20:30
    assert opening(datetime(2025, 6, 8, 15, 0, tzinfo=UTC)) == "else"  # Sunday


def test_after_hours_callback_is_confirmed_and_requested() -> None:
    caller = Caller(now=CHRISTMAS_MORNING, call=STRANGER)
    caller.looked_up(None), caller.heard(), caller.heard(), caller.heard()
    caller.press("1")
    caller.heard()
    caller.press("2")
    routing = RoutingAttributes("callbacks", {}, 0, "en")
    assert caller.finish == Finish("callback", routing, ("callback_when_open",), "en")


def test_caller_who_leaves_no_message_is_simply_hung_up() -> None:
    caller = Caller(now=CHRISTMAS_MORNING)
    caller.looked_up(JOSE), caller.heard(), caller.heard(), caller.press("1")
    caller.recorded(None)
    assert caller.finish.outcome == "hangup" and caller.finish.reason == "the caller left no message"


def test_the_journal_path_is_every_node_entered_in_order() -> None:
    caller = stranger_at_main_menu()
    caller.press("0")
    entered = [f"{e.flow}:{e.node}" for e in caller.kinds("NodeEntered")]
    assert entered == list(caller.step.state.path)
    assert entered[:3] == ["inbound:find_caller", "inbound:welcome", "inbound:language_english"]
    assert entered[-1] == "inbound:agent"
    assert caller.kinds("Finished")[-1].detail == {"outcome": "handoff", "reason": ""}
