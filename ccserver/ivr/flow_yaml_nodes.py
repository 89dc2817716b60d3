"""One reader per node type: the fields it takes, their types and ranges (syntax: dialplans/ivr/README.md).

A reader returns the node's constructor with its fields filled in (`flow_yaml` adds id and lines), or
None when a required field is missing or wrong (reported). The constructor is only called when the
node had no problem at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any, Literal, cast

import yaml

from ccserver.ivr import business_hours as bh
from ccserver.ivr import flow_model as m
from ccserver.ivr.templates import RESERVED, placeholders
from ccserver.ivr.yaml_fields import NAME, Fields, Reporter, line_of, mapping_items, scalar_text

PROMPT = re.compile(r"^[A-Za-z0-9_-]+$")
QUEUE = re.compile(r"^[A-Za-z0-9_.-]+$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
ATTRIBUTE_FIELDS = ("queue", "skills", "priority", "language")
Builder = Callable[..., m.Node]


@dataclass(frozen=True)
class Context:
    report: Reporter
    languages: tuple[str, ...]
    calendars: dict[str, bh.BusinessHours | None]  # None: has problems


# ---- pieces several node types share -------------------------------------------------------------

def _prompts(f: Fields, key: str = "prompt", required: bool = False) -> tuple[str, ...]:
    names = f.texts(key, required) or ()
    for name in names:
        if not PROMPT.match(name):
            f.problem(key, f"{name!r} is not a prompt name (letters, digits, _ and -)")
    return names


def _template(f: Fields, key: str, required: bool = False) -> str | None:
    template = f.text(key, required)
    if template is not None:
        try:
            placeholders(template)
        except ValueError as exc:
            f.problem(key, str(exc))
    return template


def _variable(f: Fields, key: str, name: str) -> None:
    if not NAME.match(name) or name in RESERVED:
        f.problem(key, f"{name!r} cannot be a variable name (letters, digits, _; not {', '.join(RESERVED)})")


def _flow_language(f: Fields, key: str, ctx: Context) -> str | None:
    language = f.text(key)
    if language is not None and language not in ctx.languages:
        f.problem(key, f"{language!r} is not one of the flow's languages ({', '.join(ctx.languages)})")
    return language


def _attributes(f: Fields) -> m.Attributes:
    skills: dict[str, int] = {}
    table = f.sub("skills")
    if table is not None:
        for skill in table.keys():
            if not QUEUE.match(skill):
                table.problem(skill, "not a skill name")
            level = table.integer(skill, 1, 10)
            if level is not None:
                skills[skill] = level
        table.done()
    return m.Attributes(
        queue=f.text("queue", pattern=QUEUE), skills=MappingProxyType(skills),
        priority=f.integer("priority", 0, 100), language=f.text("language", pattern=LANGUAGE),
    )


def _effects(f: Fields, ctx: Context) -> m.Effects:
    variables: dict[str, str] = {}
    table = f.sub("vars")
    if table is not None:
        for name in table.keys():
            _variable(table, name, name)
            variables[name] = _template(table, name) or ""
        table.done()
    return m.Effects(MappingProxyType(variables), _flow_language(f, "set_language", ctx), _attributes(f))


def _ask(f: Fields) -> dict[str, Any]:
    return {
        "timeout": f.number("timeout", 0.5, 60) or 5.0,
        "retries": f.integer("retries", 0, 9) if f.has("retries") else 2,
        "invalid_prompts": _prompts(f, "invalid_prompt"),
        "no_input_prompts": _prompts(f, "no_input_prompt"),
        "fallback": f.ref("fallback", required=False),
    }


def read_hours(f: Fields) -> bh.BusinessHours | None:
    """`{timezone: ..., weekly: {mon-fri: "08:00-18:00", sat: [...]}, holidays: [YYYY-MM-DD, ...]}`."""
    timezone = f.text("timezone", required=True)
    if timezone is not None:
        try:
            bh.parse_timezone(timezone)
        except ValueError as exc:
            f.problem("timezone", str(exc))
    weekly: list[tuple[tuple[int, ...], tuple[tuple[int, int], ...]]] = []
    table = f.node("weekly", required=True)
    for spec, (line, value) in (mapping_items(table, f.at("weekly"), f.report) or {}).items() if table else ():
        items = value.value if isinstance(value, yaml.SequenceNode) else [value]
        try:
            days = bh.parse_days(spec)
            weekly.append((days, ()))
        except ValueError as exc:
            f.report(line, f"{f.at('weekly')}: {exc}")
            days = ()
        for item in items:
            text = scalar_text(item)
            try:
                weekly.append((days, bh.parse_ranges(text if text is not None else "")))
            except ValueError as exc:
                f.report(line_of(item), f"{f.at('weekly')}: {spec}: {exc}")
    holidays = set()
    days_off = f.node("holidays")
    for item in days_off.value if isinstance(days_off, yaml.SequenceNode) else ([days_off] if days_off else []):
        try:
            holidays.add(bh.parse_holiday(scalar_text(item) or ""))
        except ValueError as exc:
            f.report(line_of(item), f"{f.at('holidays')}: {exc}")
    f.done()
    if not f.ok or timezone is None:
        return None
    return bh.BusinessHours(timezone, bh.weekly_ranges(weekly), frozenset(holidays))


# ---- the node types ------------------------------------------------------------------------------
# A required field that could not be read is None, and was reported: the reader then returns None.

def _play(f: Fields, ctx: Context) -> Builder | None:
    prompts, language, next_ref = _prompts(f, required=True), f.text("language", pattern=LANGUAGE), f.ref("next")
    if next_ref is None:
        return None
    return partial(m.PlayNode, prompts=prompts, language=language, next=next_ref)


def _say(f: Fields, ctx: Context) -> Builder | None:
    kinds = [kind for kind in ("digits", "number") if f.has(kind)]
    if len(kinds) != 1:
        f.report(f.line, f"{f.what}: give exactly one of `digits:` or `number:`")
        f.node("digits"), f.node("number")
    say_as: Literal["digits", "number"] = "number" if kinds == ["number"] else "digits"
    value, next_ref = _template(f, say_as) or "", f.ref("next")
    if next_ref is None:
        return None
    return partial(m.SayNode, say_as=say_as, value=value, next=next_ref)


def _menu(f: Fields, ctx: Context) -> Builder | None:
    options: dict[str, m.MenuOption] = {}
    table = f.node("options", required=True)
    where = f.at("options")
    for key, (line, value) in (mapping_items(table, where, f.report, noun="DTMF key") or {}).items() if table else ():
        if len(key) != 1 or key not in m.DTMF_KEYS:
            f.report(line, f"{where}: {key!r} is not a DTMF key (one of 0-9 * #; quote * and #)")
        target = scalar_text(value)
        if target is not None:
            options[key] = m.MenuOption(key=key, line=line, next=m.Ref(target, line_of(value)))
            continue
        if not isinstance(value, yaml.MappingNode):
            f.report(line, f"{where}: {key}: expected a node id or {{next: node, ...}}")
            continue
        option = Fields(value, f"{where}: {key}", f.report)
        next_ref, effects = option.ref("next"), _effects(option, ctx)
        option.done()
        if next_ref is not None:
            options[key] = m.MenuOption(key=key, line=line, next=next_ref, effects=effects)
    if table is not None and not options and f.ok:
        f.problem("options", "a menu needs at least one option")
    return partial(
        m.MenuNode, prompts=_prompts(f), options=MappingProxyType(options),
        retry_from=f.ref("retry_from", required=False), **_ask(f),
    )


def _collect(f: Fields, ctx: Context) -> Builder | None:
    store = f.text("store", required=True)
    if store is not None:
        _variable(f, "store", store)
    low, high = f.integer("min_length", 1, 32) or 1, f.integer("max_length", 1, 32, required=True) or 32
    if low > high:
        f.problem("min_length", f"{low} is more than max_length {high}")
    terminator = f.text("terminator")
    if terminator is not None and (len(terminator) != 1 or terminator not in m.DTMF_KEYS):
        f.problem("terminator", f"{terminator!r} is not a DTMF key (quote * and #)")
    pattern = f.text("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            f.problem("pattern", f"bad regular expression: {exc}")
    check = cast(Literal["luhn", "mod11"] | None, f.choice("validate", ("luhn", "mod11")))
    prompts, next_ref, ask = _prompts(f, required=True), f.ref("next"), _ask(f)
    if store is None or next_ref is None:
        return None
    return partial(
        m.CollectNode, prompts=prompts, store=store, min_length=low, max_length=high, terminator=terminator,
        check=check, pattern=pattern, next=next_ref, **ask,
    )


def _lookup(f: Fields, ctx: Context) -> Builder | None:
    by = cast(Literal["caller_id", "account"] | None, f.choice("by", ("caller_id", "account"), required=True))
    value = _template(f, "value", required=by == "account") or ""
    use_language = bool(f.flag("use_customer_language"))
    found, not_found = f.ref("found"), f.ref("not_found")
    if by is None or found is None or not_found is None:
        return None
    return partial(
        m.LookupNode, by=by, value=value, use_customer_language=use_language, found=found, not_found=not_found
    )


def _hours_test(f: Fields, ctx: Context) -> m.HoursTest | None:
    """`business_hours: <calendar name>` or an inline calendar."""
    hours = f.node("business_hours")
    calendar = scalar_text(hours) if hours is not None else None
    if calendar is None:
        sub = f.sub("business_hours")
        inline = read_hours(sub) if sub is not None else None
        return m.HoursTest(inline) if inline is not None else None
    if calendar not in ctx.calendars:
        f.problem("business_hours", f"no calendar {calendar!r} under the flow's `calendars:`")
        return None
    named = ctx.calendars[calendar]
    if named is None:
        f.spoil()  # the calendar's own problems are reported
        return None
    return m.HoursTest(named, calendar)


def _field_test(f: Fields) -> m.FieldTest | None:
    name = f.text("field", required=True)
    try:
        placeholders("{" + (name or "") + "}")
    except ValueError:
        f.problem("field", f"{name!r} is not a value name (a variable, customer.tier, caller.e164...)")
    if f.has("equals") == f.has("in"):
        f.report(f.line, f"{f.what}: give exactly one of `equals:` or `in:`")
    values = f.texts("in") if f.has("in") else (f.text("equals"),)
    return m.FieldTest(name, tuple(v for v in values or () if v is not None)) if name is not None else None


def _condition(f: Fields, ctx: Context) -> Builder | None:
    test: m.FieldTest | m.HoursTest | None = None
    if f.has("business_hours") == f.has("field"):
        f.report(f.line, f"{f.what}: give exactly one of `business_hours:` or `field:`")
        for key in ("business_hours", "field", "equals", "in"):
            f.node(key)
    else:
        test = _hours_test(f, ctx) if f.has("business_hours") else _field_test(f)
    then, otherwise = f.ref("then"), f.ref("else")
    if test is None or then is None or otherwise is None:
        return None
    return partial(m.ConditionNode, test=test, then=then, otherwise=otherwise)


def _set(f: Fields, ctx: Context) -> Builder | None:
    effects, next_ref = _effects(f, ctx), f.ref("next")
    if next_ref is None:
        return None
    return partial(m.SetNode, effects=effects, next=next_ref)


def _goto_flow(f: Fields, ctx: Context) -> Builder | None:
    flow, node = f.text("flow", required=True), f.text("node")
    if flow is None:
        return None
    return partial(m.GotoFlowNode, flow=flow, node=node)


def _route(f: Fields, ctx: Context) -> Builder:
    return partial(m.RouteNode, prompts=_prompts(f), attributes=_attributes(f))


def _callback(f: Fields, ctx: Context) -> Builder:
    return partial(m.CallbackNode, prompts=_prompts(f), attributes=_attributes(f))


def _voicemail(f: Fields, ctx: Context) -> Builder:
    seconds = f.integer("max_seconds", 5, 600)
    return partial(m.VoicemailNode, prompts=_prompts(f), max_seconds=seconds or 120, attributes=_attributes(f))


def _hangup(f: Fields, ctx: Context) -> Builder:
    return partial(m.HangupNode, prompts=_prompts(f))


NODE_READERS: dict[str, Callable[[Fields, Context], Builder | None]] = {
    "play": _play, "say": _say, "menu": _menu, "collect": _collect, "lookup": _lookup,
    "condition": _condition, "set": _set, "goto_flow": _goto_flow, "route": _route,
    "callback": _callback, "voicemail": _voicemail, "hangup": _hangup,
}
