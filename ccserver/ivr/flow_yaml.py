"""A flow file's YAML text -> `Flow`, or the problems that keep it from loading (with their lines).

This reads the shape of one file (types, required fields, time specs, DTMF keys); what needs the whole
flow set (references, reachability, loops, prompts) is `flow_validate`'s job.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from types import MappingProxyType

import yaml

from ccserver.ivr.business_hours import BusinessHours
from ccserver.ivr.flow_model import Flow, FlowProblem, Node, Ref
from ccserver.ivr.flow_yaml_nodes import NODE_READERS, Context, read_hours
from ccserver.ivr.yaml_fields import Fields, Reporter, line_of, mapping_items

FLOW_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
NODE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class LoadedFlow:
    """What a file gave: its flow (None when not even its name could be read) and its problems."""

    file: str
    flow: Flow | None
    problems: tuple[FlowProblem, ...]


def load_flow(text: str, file: str) -> LoadedFlow:
    report = Reporter(file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = str(exc.problem or exc)
        if message.startswith("but ") and exc.context:  # "expected a single document..., but found another"
            message = f"{exc.context}, {message}"
        return LoadedFlow(file, None, (FlowProblem(file, line, f"YAML syntax: {message}"),))
    except yaml.YAMLError as exc:
        return LoadedFlow(file, None, (FlowProblem(file, 1, f"YAML: {exc}"),))
    if not isinstance(root, yaml.MappingNode):
        line = line_of(root) if root is not None else 1
        return LoadedFlow(file, None, (FlowProblem(file, line, "expected a mapping with `flow:`, `start:`, `nodes:`"),))
    flow = _read_flow(Fields(root, "", report), text, report)
    return LoadedFlow(file, flow, tuple(report.problems))


def _read_flow(doc: Fields, text: str, report: Reporter) -> Flow | None:
    name = doc.text("flow", required=True, pattern=FLOW_NAME)
    languages = _languages(doc)
    language = doc.text("language", pattern=LANGUAGE) or (languages[0] if languages else "en")
    if languages and language not in languages:
        doc.problem("language", f"{language!r} is not one of the flow's languages ({', '.join(languages)})")
    doc.text("description")
    start = doc.ref("start")
    ctx = Context(report, languages or (language,), _calendars(doc))
    nodes, broken = _nodes(doc, ctx)
    doc.done()
    if name is None:
        return None
    return Flow(
        name=name, file=report.file, line=doc.line, languages=languages or (language,), language=language,
        start=start or Ref("", doc.line), nodes=MappingProxyType(nodes), broken=frozenset(broken),
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
    )


def _languages(doc: Fields) -> tuple[str, ...]:
    languages = doc.texts("languages", required=True) or ()
    for language in languages:
        if not LANGUAGE.match(language):
            doc.problem("languages", f"{language!r} is not a language code (like en, es, pt_BR)")
    if doc.has("languages") and not languages:
        doc.problem("languages", "name at least one language")
    return tuple(dict.fromkeys(language for language in languages if LANGUAGE.match(language)))


def _calendars(doc: Fields) -> dict[str, BusinessHours | None]:
    """Named opening hours; None for those with problems (already reported)."""
    calendars = doc.sub("calendars")
    if calendars is None:
        return {}
    found = {}
    for name in calendars.keys():
        sub = calendars.sub(name)
        found[name] = read_hours(sub) if sub is not None else None
    calendars.done()
    return found


def _nodes(doc: Fields, ctx: Context) -> tuple[dict[str, Node], set[str]]:
    raw = doc.node("nodes", required=True)
    items = mapping_items(raw, "nodes", ctx.report, noun="node id") if raw is not None else None
    nodes: dict[str, Node] = {}
    broken: set[str] = set()
    for node_id, (line, value) in (items or {}).items():
        if not NODE_ID.match(node_id):
            ctx.report(line, f"node id {node_id!r}: use letters, digits, _ and -")
        node = _read_node(node_id, line, value, ctx)
        if node is None:
            broken.add(node_id)
        else:
            nodes[node_id] = node
    if items == {}:
        ctx.report(line_of(raw) if raw is not None else doc.line, "nodes: the flow has no nodes")
    return nodes, broken


def _read_node(node_id: str, line: int, value: yaml.Node, ctx: Context) -> Node | None:
    fields = Fields(value, f"node {node_id!r}", ctx.report, line)
    kind = fields.text("type", required=True)
    if kind is None:
        return None
    reader = NODE_READERS.get(kind)
    if reader is None:
        fields.problem("type", f"unknown node type {kind!r} (one of {', '.join(sorted(NODE_READERS))})")
        return None
    build = reader(fields, ctx)
    fields.done()
    if build is None or not fields.ok:
        return None
    return build(id=node_id, line=fields.line, lines=MappingProxyType(dict(fields.lines)))
