"""What each node type does when entered, and with the result its command brought back.

A handler returns either `Go(node)` (carry on without the caller: the engine enters that node within
the same step) or the command to send the runner (the step ends there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ccserver.ivr import flow_model as m
from ccserver.ivr.checksums import CHECKS
from ccserver.ivr.commands import (
    CollectDigits,
    Command,
    Digits,
    LookupCustomer,
    LookupResult,
    Play,
    Played,
    Recorded,
    RecordMessage,
    Result,
    Say,
)
from ccserver.ivr.engine_state import Run


@dataclass(frozen=True)
class Go:
    node: str
    flow: str | None = None  # None: the same flow


Outcome = Go | Command


def enter(run: Run, flow: m.Flow, node: m.Node) -> Outcome:
    if isinstance(node, m.PlayNode | m.SayNode):
        return _speak(run, node)
    if isinstance(node, m.MenuNode):
        typed = run.state.typed_ahead
        run.update(typed_ahead="")
        return _menu_answer(run, flow, node, typed) if typed else _ask(run, node, ())
    if isinstance(node, m.CollectNode):
        return _enter_collect(run, flow, node)
    if isinstance(node, m.LookupNode):
        return _enter_lookup(run, node)
    if isinstance(node, m.ConditionNode):
        return _condition(run, node)
    if isinstance(node, m.SetNode):
        apply_effects(run, node.effects, "set")
        return Go(node.next.target)
    if isinstance(node, m.GotoFlowNode):
        target = run.flows.get(node.flow)
        if target is None:
            return run.fail(f"goto_flow: no flow {node.flow!r}")
        return Go(node.node or target.start.target, node.flow)
    if isinstance(node, m.VoicemailNode):
        run.update(waiting="recorded", typed_ahead="")
        return RecordMessage(node.prompts, run.state.language, node.max_seconds)
    if isinstance(node, m.RouteNode):
        return run.finish("handoff", prompts=node.prompts, attributes=node.attributes)
    if isinstance(node, m.CallbackNode):
        return run.finish("callback", prompts=node.prompts, attributes=node.attributes)
    return run.finish("hangup", prompts=node.prompts)


def resume(run: Run, flow: m.Flow, node: m.Node, result: Result) -> Outcome:
    """`result` is of the type `run.state.waiting` expects (the engine checked)."""
    if isinstance(result, Played):
        run.update(typed_ahead=result.digit[:1])
        if isinstance(node, m.MenuNode) and node.retry_from is not None:
            return Go(node.retry_from.target)
        return Go(node.next.target) if isinstance(node, m.PlayNode | m.SayNode) else run.fail("unexpected Played")
    if isinstance(result, Digits) and isinstance(node, m.MenuNode):
        return _menu_answer(run, flow, node, result.value)
    if isinstance(result, Digits) and isinstance(node, m.CollectNode):
        entry = run.state.entered + result.value
        run.update(entered="")
        return _collect_answer(run, flow, node, entry)
    if isinstance(result, LookupResult) and isinstance(node, m.LookupNode):
        return _lookup_answer(run, flow, node, result.customer)
    if isinstance(result, Recorded) and isinstance(node, m.VoicemailNode):
        if result.path is None:
            return run.finish("hangup", reason="the caller left no message", attributes=node.attributes)
        return run.finish("voicemail", attributes=node.attributes)
    return run.fail(f"node {node.id!r} cannot take {type(result).__name__}")


def apply_effects(run: Run, effects: m.Effects, source: str) -> None:
    if effects.variables:
        values = {name: run.render(template) for name, template in effects.variables.items()}
        run.update(variables=MappingProxyType({**run.state.variables, **values}))
    if effects.set_language is not None:
        run.set_language(effects.set_language, source)
    run.add_attributes(effects.attributes)


def _speak(run: Run, node: m.PlayNode | m.SayNode) -> Outcome:
    """Play or say, unless the caller already keyed ahead (then on to the menu that wants the key)."""
    command: Command | None = None
    if isinstance(node, m.PlayNode) and node.prompts:
        command = Play(node.prompts, node.language or run.state.language)
    elif isinstance(node, m.SayNode):
        value = run.render(node.value)
        value = re.sub(r"[^0-9*#]", "", value) if node.say_as == "digits" else value.strip()
        if value if node.say_as == "digits" else re.fullmatch(r"-?\d{1,15}", value):
            command = Say(node.say_as, value, run.state.language)
    if command is None or run.state.typed_ahead:
        return Go(node.next.target)
    run.update(waiting="played")
    return command


def _ask(run: Run, node: m.AskNode, lead: tuple[str, ...]) -> Command:
    run.update(waiting="input")
    if isinstance(node, m.MenuNode):
        return CollectDigits(lead + node.prompts, run.state.language, 1, node.timeout)
    assert isinstance(node, m.CollectNode)
    return CollectDigits(lead + node.prompts, run.state.language, node.max_length, node.timeout, node.terminator)


def _retry(run: Run, flow: m.Flow, node: m.AskNode, kind: str, **detail: Any) -> Outcome:
    """An invalid answer or none: ask again, or give up after `retries` re-asks of that kind."""
    key = f"{flow.name}:{node.id}:{kind}"
    attempt = run.state.retries.get(key, 0) + 1
    event = "InvalidInput" if kind == "invalid" else "NoInput"
    run.emit(event, attempt=attempt, max_attempts=node.retries + 1, **detail)
    if attempt > node.retries:
        _reset_retries(run, flow, node)
        if node.fallback is not None:
            return Go(node.fallback.target)
        return run.fail(f"{node.id}: {'no valid answer' if kind == 'invalid' else 'no answer'} after {attempt} tries")
    run.update(retries=MappingProxyType({**run.state.retries, key: attempt}))
    lead = node.invalid_prompts if kind == "invalid" else node.no_input_prompts
    if isinstance(node, m.MenuNode) and node.retry_from is not None:
        if not lead:
            return Go(node.retry_from.target)
        run.update(waiting="reprompt")
        return Play(lead, run.state.language)
    return _ask(run, node, lead)


def _reset_retries(run: Run, flow: m.Flow, node: m.AskNode) -> None:
    prefix = f"{flow.name}:{node.id}:"
    run.update(retries=MappingProxyType({k: v for k, v in run.state.retries.items() if not k.startswith(prefix)}))


def _menu_answer(run: Run, flow: m.Flow, node: m.MenuNode, keys: str) -> Outcome:
    if not keys:
        return _retry(run, flow, node, "no_input")
    run.emit("Digits", digits=keys)
    option = node.options.get(keys)
    if option is None:
        return _retry(run, flow, node, "invalid", digits=keys)
    _reset_retries(run, flow, node)
    apply_effects(run, option.effects, "menu")
    return Go(option.next.target)


def _enter_collect(run: Run, flow: m.Flow, node: m.CollectNode) -> Outcome:
    typed = run.state.typed_ahead
    run.update(typed_ahead="")
    if not typed:
        return _ask(run, node, ())
    if typed == node.terminator or node.max_length == 1:
        return _collect_answer(run, flow, node, "" if typed == node.terminator else typed)
    run.update(waiting="input", entered=typed)  # the caller is already keying: no prompt
    return CollectDigits((), run.state.language, node.max_length - 1, node.timeout, node.terminator)


def _entry_problem(node: m.CollectNode, entry: str) -> str | None:
    if not entry.isdigit() or not entry.isascii():
        return "not only digits"
    if not node.min_length <= len(entry) <= node.max_length:
        return f"{len(entry)} digits, not {node.min_length}-{node.max_length}"
    if node.pattern is not None and not re.fullmatch(node.pattern, entry):
        return "does not match the pattern"
    if node.check is not None and not CHECKS[node.check](entry):
        return f"wrong {node.check} check digit"
    return None


def _collect_answer(run: Run, flow: m.Flow, node: m.CollectNode, entry: str) -> Outcome:
    if not entry:
        return _retry(run, flow, node, "no_input")
    run.emit("Digits", digits=entry)
    problem = _entry_problem(node, entry)
    if problem is not None:
        return _retry(run, flow, node, "invalid", reason=problem)
    _reset_retries(run, flow, node)
    run.update(
        variables=MappingProxyType({**run.state.variables, node.store: entry}),
        collected=MappingProxyType({**run.state.collected, node.store: entry}),
    )
    run.emit("ValueCollected", name=node.store, value=entry)
    return Go(node.next.target)


def _enter_lookup(run: Run, node: m.LookupNode) -> Outcome:
    call = run.state.call
    value = run.render(node.value) if node.value else (call.caller_e164 or call.caller_number)
    if not value.strip():
        run.emit("Lookup", by=node.by, found=False, reason="nothing to look up by")
        return Go(node.not_found.target)
    run.update(waiting="lookup")
    return LookupCustomer(node.by, value.strip())


def _lookup_answer(run: Run, flow: m.Flow, node: m.LookupNode, customer: dict[str, Any] | None) -> Outcome:
    if not customer:
        run.emit("Lookup", by=node.by, found=False)
        return Go(node.not_found.target)
    run.update(customer=MappingProxyType(dict(customer)))
    language = customer.get("language")
    detail = {"customer_id": str(customer["id"])} if customer.get("id") else {}
    run.emit("Lookup", by=node.by, found=True, tier=customer.get("tier"), language=language, **detail)
    if node.use_customer_language and isinstance(language, str) and language in flow.languages:
        run.set_language(language, "customer")
    return Go(node.found.target)


def _condition(run: Run, node: m.ConditionNode) -> Outcome:
    test = node.test
    if isinstance(test, m.HoursTest):
        passed = test.hours.is_open(run.now)
        detail: dict[str, Any] = {"test": "business_hours", "open": passed, "calendar": test.calendar}
    else:
        value = run.value_of(test.field)
        passed = value in test.values
        detail = {"test": test.field, "value": value}
    run.emit("Condition", branch="then" if passed else "else", **detail)
    return Go(node.then.target if passed else node.otherwise.target)
