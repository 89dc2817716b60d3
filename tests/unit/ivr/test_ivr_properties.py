"""Properties over many generated callers, flows and inputs: the engine never raises, always either
finishes or asks for something, stays on existing nodes, and bounds retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccserver.ivr import engine
from ccserver.ivr import flow_model as m
from ccserver.ivr.business_hours import BusinessHours
from ccserver.ivr.checksums import luhn_check_digit, luhn_valid, mod11_check_digit, mod11_valid
from ccserver.ivr.commands import (
    CollectDigits,
    Command,
    Digits,
    Finish,
    LookupCustomer,
    LookupResult,
    Play,
    Played,
    Recorded,
    RecordMessage,
    Result,
    Say,
)
from ccserver.ivr.flow_validate import validate_flows
from ccserver.ivr.flow_yaml import load_flow

from .support import demo_flows

KEYS = "0123456789*#"
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
customers = st.one_of(
    st.none(),
    st.fixed_dictionaries({
        "id": st.uuids().map(str), "tier": st.sampled_from(["standard", "gold", "vip", ""]),
        "language": st.sampled_from(["en", "es", "de", ""]),
    }),
)
calls = st.builds(
    engine.CallInfo, caller_number=st.text("0123456789+", max_size=14),
    caller_e164=st.one_of(st.none(), st.from_regex(r"\+1[2-9]\d{9}", fullmatch=True)),
    dialed_number=st.text("0123456789", max_size=10),
    language=st.one_of(st.none(), st.sampled_from(["en", "es", "fr"])),
)


def answer_to(command: Command, data: st.DataObject) -> Result:
    """Something the runner could truthfully answer to `command` (callers do anything at all)."""
    if isinstance(command, CollectDigits):
        digits = data.draw(st.text(KEYS, max_size=command.max_digits + 1))
        return Digits(digits, data.draw(st.booleans()))
    if isinstance(command, Play | Say):
        return Played(data.draw(st.sampled_from(["", "", "", *KEYS])))
    if isinstance(command, LookupCustomer):
        return LookupResult(data.draw(customers))
    assert isinstance(command, RecordMessage)
    return Recorded(data.draw(st.sampled_from([None, "/tmp/m.wav"])), 3.0)


def assert_sound(flows: m.FlowSet, step: engine.Step) -> None:
    """What must hold after every step, whatever the caller did."""
    for entry in step.state.path:
        flow, node = entry.split(":", 1)
        assert node in flows.flows[flow].nodes
    for key, count in step.state.retries.items():
        flow, node, _ = key.split(":")
        ask = flows.flows[flow].nodes[node]
        assert isinstance(ask, m.AskNode) and 1 <= count <= ask.retries
    assert isinstance(step.command, Finish) == step.state.finished
    assert sum(e.kind == "NodeEntered" for e in step.events) <= engine.MAX_TRANSITIONS


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), call=calls, now=moments)
def test_any_caller_on_the_demo_flows_is_finished_within_forty_commands(
    data: st.DataObject, call: engine.CallInfo, now: datetime
) -> None:
    flows = demo_flows()
    step = engine.start(flows, "inbound", call, now)
    for _ in range(40):
        assert_sound(flows, step)
        if isinstance(step.command, Finish):
            assert step.command.outcome in ("handoff", "callback", "voicemail", "hangup")  # never a dead end
            assert step.events[-1].kind == "Finished"
            return
        step = engine.advance(flows, step.state, answer_to(step.command, data), now)
    raise AssertionError(f"still going after 40 commands: {step.state.path}")


results = st.one_of(
    st.builds(Digits, st.text(max_size=40), st.booleans()),
    st.builds(Played, st.text(max_size=3)),
    st.builds(LookupResult, st.one_of(st.none(), st.dictionaries(st.text(max_size=8), st.text(max_size=8)))),
    st.builds(Recorded, st.one_of(st.none(), st.text(max_size=10)), st.floats(allow_nan=True)),
)


@settings(max_examples=300)
@given(answers=st.lists(results, max_size=30), call=calls, now=moments)
def test_the_engine_never_raises_whatever_the_runner_sends(
    answers: list[Result], call: engine.CallInfo, now: datetime
) -> None:
    flows = demo_flows()
    step = engine.start(flows, "inbound", call, now)
    for answer in answers:
        step = engine.advance(flows, step.state, answer, now)
        assert_sound(flows, step)


# ---- generated flows: the engine copes with anything the model can hold, validated or not ---------

NODE_IDS = ["a", "b", "c", "d", "e", "f"]
refs = st.builds(m.Ref, st.sampled_from([*NODE_IDS, "missing"]), st.just(1))
prompts = st.lists(st.sampled_from(["p1", "p2"]), max_size=2).map(tuple)


def node_strategy(node_id: str) -> st.SearchStrategy[m.Node]:
    base = {"id": st.just(node_id), "line": st.just(1)}
    ask = {"prompts": prompts, "timeout": st.just(3.0), "retries": st.integers(0, 3), "fallback": st.none() | refs}
    options = st.dictionaries(st.sampled_from(KEYS), refs, min_size=1, max_size=3).map(
        lambda table: MappingProxyType({k: m.MenuOption(key=k, line=1, next=r) for k, r in table.items()})
    )
    field_test = st.builds(m.FieldTest, st.sampled_from(["x", "customer.tier", "language"]), st.just(("1", "vip")))
    return st.one_of(
        st.builds(m.PlayNode, **base, prompts=prompts, next=refs),
        st.builds(m.SayNode, **base, say_as=st.sampled_from(["digits", "number"]), value=st.just("{x}"), next=refs),
        st.builds(m.MenuNode, **base, **ask, options=options, retry_from=st.none() | refs),
        st.builds(m.CollectNode, **base, **ask, store=st.just("x"), min_length=st.just(1), max_length=st.integers(1, 4),
                  terminator=st.sampled_from([None, "#"]), check=st.sampled_from([None, "luhn"]), next=refs),
        st.builds(m.LookupNode, **base, by=st.just("caller_id"), value=st.just(""), found=refs, not_found=refs,
                  use_customer_language=st.booleans()),
        st.builds(m.ConditionNode, **base, test=field_test, then=refs, otherwise=refs),
        st.builds(m.SetNode, **base, effects=st.just(m.Effects(MappingProxyType({"x": "1"}))), next=refs),
        st.builds(m.GotoFlowNode, **base, flow=st.sampled_from(["g", "nowhere"]),
                  node=st.none() | st.sampled_from(NODE_IDS)),
        st.builds(m.RouteNode, **base), st.builds(m.HangupNode, **base), st.builds(m.VoicemailNode, **base),
    )


flow_sets = st.tuples(*[node_strategy(node_id) for node_id in NODE_IDS]).map(
    lambda nodes: m.FlowSet(MappingProxyType({"g": m.Flow(
        name="g", file="g.yaml", line=1, languages=("en",), language="en", start=m.Ref("a", 1),
        nodes=MappingProxyType({node.id: node for node in nodes}),
    )}))
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(flows=flow_sets, data=st.data())
def test_on_any_flow_each_step_finishes_or_asks_and_stays_on_real_nodes(flows: m.FlowSet, data: st.DataObject) -> None:
    step = engine.start(flows, "g", engine.CallInfo("1", None, "2"), datetime(2025, 1, 1, tzinfo=UTC))
    for _ in range(25):
        assert_sound(flows, step)
        if isinstance(step.command, Finish):
            return
        step = engine.advance(flows, step.state, answer_to(step.command, data), datetime(2025, 1, 1, tzinfo=UTC))
    validate_flows(list(flows.flows.values()), None)  # the validator copes with it too


# ---- the loader and validator never raise on what an editor can save -------------------------------

yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 30), st.text(max_size=12), st.sampled_from(NODE_IDS)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "next", "prompt", "options", "1", "found", "business_hours", "weekly", "x"]),
        inner, max_size=5,
    ),
    max_leaves=25,
)
node_types = st.sampled_from(["play", "menu", "collect", "lookup", "condition", "set", "say", "route", "callback",
                              "voicemail", "hangup", "goto_flow", "bogus"])


@settings(max_examples=300)
@given(nodes=st.dictionaries(st.sampled_from(NODE_IDS), st.tuples(node_types, st.dictionaries(
    st.sampled_from(["next", "prompt", "options", "then", "else", "retries", "skills", "field", "in", "store",
                     "max_length", "by", "business_hours", "digits", "flow"]), yaml_values, max_size=6)), max_size=6))
def test_loading_and_validating_any_yaml_never_raises(nodes: dict[str, tuple[str, dict[str, Any]]]) -> None:
    document = {"flow": "x", "languages": ["en"], "start": "a",
                "nodes": {node_id: {"type": kind, **fields} for node_id, (kind, fields) in nodes.items()}}
    loaded = load_flow(yaml.safe_dump(document), "x.yaml")
    assert loaded.flow is not None
    validate_flows([loaded.flow], frozenset())


@given(text=st.text(max_size=200))
def test_loading_any_text_never_raises(text: str) -> None:
    load_flow(text, "x.yaml")


# ---- check digits and opening hours ----------------------------------------------------------------

@given(payload=st.text("0123456789", min_size=1, max_size=18), position=st.integers(0, 18), change=st.integers(1, 9))
def test_check_digits_catch_every_single_digit_mistake(payload: str, position: int, change: int) -> None:
    number = payload + luhn_check_digit(payload)
    assert luhn_valid(number)
    index = position % len(number)
    typo = number[:index] + str((int(number[index]) + change) % 10) + number[index + 1:]
    assert not luhn_valid(typo)
    check = mod11_check_digit(payload)
    if check is not None:  # payloads whose check would be 10 are never issued
        number = payload + check
        typo = number[:index] + str((int(number[index]) + change) % 10) + number[index + 1:]
        assert mod11_valid(number) and not mod11_valid(typo)


@given(now=moments, zone=st.sampled_from(["America/New_York", "Europe/Madrid", "Asia/Kolkata", "UTC"]))
def test_open_all_week_means_open_except_on_local_holidays(now: datetime, zone: str) -> None:
    always = BusinessHours(zone, tuple((day, 0, 1440) for day in range(7)))
    assert always.is_open(now)
    local_day = now.astimezone(ZoneInfo(zone)).date()
    assert not BusinessHours(zone, always.weekly, frozenset({local_day})).is_open(now)
    assert BusinessHours(zone, always.weekly, frozenset({local_day + timedelta(days=1)})).is_open(now)


@given(now=moments, offset_hours=st.integers(-12, 14))
def test_opening_depends_on_the_instant_not_on_how_it_is_written(now: datetime, offset_hours: int) -> None:
    hours = BusinessHours("America/New_York", ((0, 480, 1200), (5, 540, 840)))
    assert hours.is_open(now) == hours.is_open(now.astimezone(timezone(timedelta(hours=offset_hours))))
    assert hours.is_open(now) == hours.is_open(now.replace(tzinfo=None))  # naive means UTC
