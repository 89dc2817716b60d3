"""Call flows as the engine reads them: immutable, every field traceable to its line in the YAML file.

A `Flow` is one file of dialplans/ivr/ (syntax: dialplans/ivr/README.md); a `FlowSet` is the flows
a call runs on, fixed when the call starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal, NamedTuple

from ccserver.ivr.business_hours import BusinessHours


def frozen_map() -> Mapping[str, Any]:
    """A default for mapping fields: read-only, and a new one each time (dataclasses insist)."""
    return MappingProxyType({})
DTMF_KEYS = "0123456789*#"


class FlowProblem(NamedTuple):
    """Why a flow file cannot be loaded, as `file:line: message`."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class Ref(NamedTuple):
    """A reference to a node of the same flow, with the line that makes it."""

    target: str
    line: int


@dataclass(frozen=True)
class Attributes:
    """Routing attributes a node sets; None / empty means "leave as it was"."""

    queue: str | None = None
    skills: Mapping[str, int] = field(default_factory=frozen_map)  # skill -> minimum level 1-10
    priority: int | None = None
    language: str | None = None  # the agent's language; at hand-off it defaults to the caller's IVR language

    def is_empty(self) -> bool:
        return self.queue is None and not self.skills and self.priority is None and self.language is None


@dataclass(frozen=True)
class Effects:
    """What a `set` node or a menu option changes: variables, the caller's language, routing attributes."""

    variables: Mapping[str, str] = field(default_factory=frozen_map)  # name -> template
    set_language: str | None = None
    attributes: Attributes = Attributes()


@dataclass(frozen=True, kw_only=True)
class NodeBase:
    kind: ClassVar[str] = ""  # the YAML `type:`
    id: str
    line: int
    lines: Mapping[str, int] = field(default_factory=frozen_map, compare=False)  # field name -> line of its value

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


@dataclass(frozen=True, kw_only=True)
class PlayNode(NodeBase):
    kind: ClassVar[str] = "play"
    prompts: tuple[str, ...]
    language: str | None = None  # pins the prompts to one language (e.g. "Para español, oprima dos")
    next: Ref


@dataclass(frozen=True, kw_only=True)
class SayNode(NodeBase):
    kind: ClassVar[str] = "say"
    say_as: Literal["digits", "number"]
    value: str  # template
    next: Ref


@dataclass(frozen=True, kw_only=True)
class MenuOption:
    key: str
    line: int
    next: Ref
    effects: Effects = Effects()


@dataclass(frozen=True, kw_only=True)
class AskNode(NodeBase):
    """What menus and collects share: prompts, a timeout, and bounded retries ending in `fallback`."""

    prompts: tuple[str, ...]
    timeout: float
    retries: int  # re-asks after an invalid answer, and separately after silence
    invalid_prompts: tuple[str, ...] = ()
    no_input_prompts: tuple[str, ...] = ()
    fallback: Ref | None = None  # None: Finish(outcome="fallback") once retries are used up


@dataclass(frozen=True, kw_only=True)
class MenuNode(AskNode):
    kind: ClassVar[str] = "menu"
    options: Mapping[str, MenuOption]  # DTMF key -> option
    retry_from: Ref | None = None  # re-ask by going back there (e.g. prompts in several languages)


@dataclass(frozen=True, kw_only=True)
class CollectNode(AskNode):
    kind: ClassVar[str] = "collect"
    store: str
    min_length: int
    max_length: int
    terminator: str | None = None
    check: Literal["luhn", "mod11"] | None = None
    pattern: str | None = None  # a regular expression the whole entry must match
    next: Ref


@dataclass(frozen=True, kw_only=True)
class LookupNode(NodeBase):
    kind: ClassVar[str] = "lookup"
    by: Literal["caller_id", "account"]
    value: str  # template; empty for caller_id means the caller's number (E.164 when known)
    use_customer_language: bool = False
    found: Ref
    not_found: Ref


@dataclass(frozen=True)
class FieldTest:
    """`field` names a value as in templates: a variable, `customer.tier`, `caller.e164`, `language`..."""

    field: str
    values: tuple[str, ...]  # true when the value is one of these (`equals: x` is `in: [x]`)


@dataclass(frozen=True)
class HoursTest:
    hours: BusinessHours
    calendar: str = ""  # the flow's calendar it came from, if named


@dataclass(frozen=True, kw_only=True)
class ConditionNode(NodeBase):
    kind: ClassVar[str] = "condition"
    test: FieldTest | HoursTest
    then: Ref
    otherwise: Ref  # `else:` in YAML


@dataclass(frozen=True, kw_only=True)
class SetNode(NodeBase):
    kind: ClassVar[str] = "set"
    effects: Effects
    next: Ref


@dataclass(frozen=True, kw_only=True)
class GotoFlowNode(NodeBase):
    kind: ClassVar[str] = "goto_flow"
    flow: str
    node: str | None = None  # None: the target flow's start


@dataclass(frozen=True, kw_only=True)
class RouteNode(NodeBase):
    """Hand the call to the ACD."""

    kind: ClassVar[str] = "route"
    prompts: tuple[str, ...] = ()
    attributes: Attributes = Attributes()


@dataclass(frozen=True, kw_only=True)
class CallbackNode(NodeBase):
    kind: ClassVar[str] = "callback"
    prompts: tuple[str, ...] = ()
    attributes: Attributes = Attributes()


@dataclass(frozen=True, kw_only=True)
class VoicemailNode(NodeBase):
    kind: ClassVar[str] = "voicemail"
    prompts: tuple[str, ...] = ()
    max_seconds: int = 120
    attributes: Attributes = Attributes()


@dataclass(frozen=True, kw_only=True)
class HangupNode(NodeBase):
    kind: ClassVar[str] = "hangup"
    prompts: tuple[str, ...] = ()


Node = (
    PlayNode | SayNode | MenuNode | CollectNode | LookupNode | ConditionNode | SetNode | GotoFlowNode
    | RouteNode | CallbackNode | VoicemailNode | HangupNode
)
FINAL_NODES = (RouteNode, CallbackNode, VoicemailNode, HangupNode)


def node_refs(node: Node) -> list[tuple[str, Ref]]:
    """Every (field, reference to another node of the flow) a node makes."""
    refs: list[tuple[str, Ref | None]] = []
    if isinstance(node, PlayNode | SayNode | SetNode | CollectNode):
        refs.append(("next", node.next))
    if isinstance(node, AskNode):
        refs.append(("fallback", node.fallback))
    if isinstance(node, MenuNode):
        refs += [(f"option {key}", option.next) for key, option in node.options.items()]
        refs.append(("retry_from", node.retry_from))
    elif isinstance(node, LookupNode):
        refs += [("found", node.found), ("not_found", node.not_found)]
    elif isinstance(node, ConditionNode):
        refs += [("then", node.then), ("else", node.otherwise)]
    return [(name, ref) for name, ref in refs if ref is not None]


@dataclass(frozen=True)
class Flow:
    name: str
    file: str
    line: int
    languages: tuple[str, ...]
    language: str  # the default
    start: Ref
    nodes: Mapping[str, Node]
    version: str = ""  # a hash of the file's text
    broken: frozenset[str] = frozenset()  # ids of nodes that could not be read (the flow is then rejected)


@dataclass(frozen=True)
class FlowSet:
    """The flows one call runs on, start to end, whatever reloads happen meanwhile."""

    flows: Mapping[str, Flow] = field(default_factory=frozen_map)
    generation: int = 0  # bumped by each reload that changed something

    def get(self, name: str) -> Flow | None:
        return self.flows.get(name)

    def version_of(self, name: str) -> str:
        flow = self.flows.get(name)
        return flow.version if flow else ""
