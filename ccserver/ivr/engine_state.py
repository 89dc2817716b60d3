"""What the engine remembers about one call between steps (immutable), and the scratch of one step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from ccserver.ivr.commands import Command, Finish, IvrEvent, RoutingAttributes
from ccserver.ivr.flow_model import Attributes, FlowSet, frozen_map
from ccserver.ivr.templates import render

Waiting = Literal["", "input", "played", "reprompt", "lookup", "recorded", "finished"]


@dataclass(frozen=True)
class CallInfo:
    caller_number: str
    caller_e164: str | None
    dialed_number: str
    language: str | None = None  # the channel's language, used when the flow speaks it


@dataclass(frozen=True)
class IvrState:
    """Where a call is in its flows. `waiting` says which result the node `node` is waiting for."""

    flow: str
    node: str
    language: str
    call: CallInfo
    waiting: Waiting = ""
    variables: Mapping[str, str] = field(default_factory=frozen_map)
    collected: Mapping[str, str] = field(default_factory=frozen_map)  # what collect nodes stored, for the journal
    customer: Mapping[str, Any] | None = None
    path: tuple[str, ...] = ()  # "flow:node" for every node entered
    retries: Mapping[str, int] = field(default_factory=frozen_map)  # "flow:node:invalid"/":no_input" -> count
    routing: Attributes = Attributes()  # attributes set so far, merged
    typed_ahead: str = ""  # a key that cut a prompt short, for the next menu or collect
    entered: str = ""  # digits of the current collect keyed before its CollectDigits
    finished: bool = False


@dataclass(frozen=True)
class Step:
    state: IvrState
    command: Command
    events: tuple[IvrEvent, ...]


def merge(before: Attributes, after: Attributes) -> Attributes:
    """Later nodes win per attribute; skills add up (a later level for the same skill replaces it)."""
    return Attributes(
        queue=after.queue if after.queue is not None else before.queue,
        skills=MappingProxyType({**before.skills, **after.skills}),
        priority=after.priority if after.priority is not None else before.priority,
        language=after.language if after.language is not None else before.language,
    )


def attributes_detail(attributes: Attributes) -> dict[str, Any]:
    detail: dict[str, Any] = {"skills": dict(attributes.skills)} if attributes.skills else {}
    for name in ("queue", "priority", "language"):
        if getattr(attributes, name) is not None:
            detail[name] = getattr(attributes, name)
    return detail


@dataclass
class Run:
    """One call of start/advance: the flows, the time, the state so far and the events to report."""

    flows: FlowSet
    now: datetime
    state: IvrState
    events: list[IvrEvent] = field(default_factory=list)

    def update(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)

    def emit(self, kind: str, **detail: Any) -> None:
        self.events.append(IvrEvent(kind, self.state.flow, self.state.node, detail))

    def value_of(self, name: str) -> str:
        call = self.state.call
        builtins = {
            "caller.number": call.caller_number, "caller.e164": call.caller_e164 or "",
            "dialed": call.dialed_number, "language": self.state.language,
        }
        if name in builtins:
            return builtins[name]
        if name.startswith("customer."):
            value: Any = self.state.customer
            for part in name.split(".")[1:]:
                value = value.get(part) if isinstance(value, Mapping) else None
            return "" if value is None else str(value)
        return self.state.variables.get(name, "")

    def render(self, template: str) -> str:
        return render(template, self.value_of)

    def set_language(self, language: str, source: str) -> None:
        if language != self.state.language:
            self.update(language=language)
            self.emit("LanguageSet", language=language, source=source)

    def add_attributes(self, attributes: Attributes) -> None:
        if not attributes.is_empty():
            self.update(routing=merge(self.state.routing, attributes))
            self.emit("AttributesSet", **attributes_detail(self.state.routing))

    def finish(
        self, outcome: Any, *, reason: str = "", prompts: tuple[str, ...] = (), attributes: Attributes | None = None
    ) -> Finish:
        merged = merge(self.state.routing, attributes) if attributes else self.state.routing
        self.update(routing=merged)
        routing = RoutingAttributes(
            queue=merged.queue, skills=dict(merged.skills), priority=merged.priority or 0,
            language=merged.language or self.state.language,
        )
        if outcome in ("handoff", "callback", "voicemail"):
            self.emit(
                "AttributesSet", queue=routing.queue, skills=dict(routing.skills), priority=routing.priority,
                language=routing.language,
            )
        self.emit("Finished", outcome=outcome, reason=reason)
        self.update(waiting="finished", finished=True, typed_ahead="", entered="")
        return Finish(outcome, routing, prompts, self.state.language, reason)

    def fail(self, reason: str) -> Finish:
        """The flow cannot go on: the dialplan's fallback (a human) takes the call."""
        self.emit("Error", reason=reason)
        return self.finish("fallback", reason=reason)
