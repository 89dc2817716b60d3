"""What needs the whole flow set to judge: references, goto targets, prompts, variables, reachability
and loops a caller could never leave. Each problem is `file:line: message`.

A loop with no exit is a strongly connected part of the node graph with no edge out of it: a caller
in it never reaches a route, callback, voicemail or hangup. A menu or collect without `fallback:`
always has a way out (retries used up end in Finish(outcome="fallback")).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from ccserver.ivr import flow_model as m
from ccserver.ivr.templates import is_known, placeholders

NodeKey = tuple[str, str]  # (flow name, node id)
PromptIndex = frozenset[tuple[str, str]]  # (language, prompt name)


def prompts_in(directory: Path) -> PromptIndex:
    """The prompts written as `<directory>/<language>/<name>.txt`."""
    if not directory.is_dir():
        return frozenset()
    return frozenset((path.parent.name, path.stem) for path in directory.glob("*/*.txt"))


def validate_flows(flows: Sequence[m.Flow], prompts: PromptIndex | None) -> list[m.FlowProblem]:
    """Problems of the set; `prompts=None` skips the prompt check."""
    problems: list[m.FlowProblem] = []
    by_name: dict[str, m.Flow] = {}
    for flow in flows:
        if flow.name in by_name:
            first = by_name[flow.name]
            problems.append(m.FlowProblem(flow.file, flow.line, f"flow {flow.name!r} is also defined in {first.file}"))
        else:
            by_name[flow.name] = flow
    variables = {name for flow in by_name.values() for name in _stored_variables(flow)}
    # A node that could not be read may be the one setting a variable: judge variables once all read.
    check_variables = not any(flow.broken for flow in by_name.values())
    for flow in by_name.values():
        problems += _references(flow, by_name)
        if check_variables:
            problems += _templates(flow, variables)
        if prompts is not None:
            problems += _prompts(flow, prompts)
    problems += _graph_problems(by_name)
    return problems


def _problem(flow: m.Flow, line: int, message: str) -> m.FlowProblem:
    return m.FlowProblem(flow.file, line, message)


def _references(flow: m.Flow, flows: dict[str, m.Flow]) -> Iterator[m.FlowProblem]:
    known = flow.nodes.keys() | flow.broken
    if flow.start.target not in known:
        yield _problem(flow, flow.start.line, f"start: no node {flow.start.target!r}")
    for node in flow.nodes.values():
        for field, ref in m.node_refs(node):
            if ref.target not in known:
                yield _problem(flow, ref.line, f"node {node.id!r}: {field}: no node {ref.target!r}")
        if isinstance(node, m.GotoFlowNode):
            target = flows.get(node.flow)
            if target is None:
                yield _problem(flow, node.line_of("flow"), f"node {node.id!r}: goto_flow: no flow {node.flow!r}")
            elif node.node is not None and node.node not in target.nodes.keys() | target.broken:
                message = f"node {node.id!r}: goto_flow: flow {node.flow!r} has no node {node.node!r}"
                yield _problem(flow, node.line_of("node"), message)


def _stored_variables(flow: m.Flow) -> Iterator[str]:
    for node in flow.nodes.values():
        if isinstance(node, m.CollectNode):
            yield node.store
        for effects, _ in _effects(node):
            yield from effects.variables


def _effects(node: m.Node) -> Iterator[tuple[m.Effects, int]]:
    if isinstance(node, m.SetNode):
        yield node.effects, node.line_of("vars")
    elif isinstance(node, m.MenuNode):
        yield from ((option.effects, option.line) for option in node.options.values())


def _templates(flow: m.Flow, variables: set[str]) -> Iterator[m.FlowProblem]:
    for node in flow.nodes.values():
        used: list[tuple[str, int]] = []
        if isinstance(node, m.SayNode):
            used += [(name, node.line_of(node.say_as)) for name in placeholders(node.value)]
        elif isinstance(node, m.LookupNode):
            used += [(name, node.line_of("value")) for name in placeholders(node.value)]
        elif isinstance(node, m.ConditionNode) and isinstance(node.test, m.FieldTest):
            used.append((node.test.field, node.line_of("field")))
        for effects, line in _effects(node):
            used += [(name, line) for template in effects.variables.values() for name in placeholders(template)]
        for name, line in used:
            if not is_known(name, variables):
                message = f"node {node.id!r}: {name!r} is never set (no collect stores it, no set names it)"
                yield _problem(flow, line, message)


def _node_prompts(node: m.Node) -> Iterator[tuple[str, tuple[str, ...]]]:
    for field, attribute in (("prompt", "prompts"), ("invalid_prompt", "invalid_prompts"),
                             ("no_input_prompt", "no_input_prompts")):
        names = getattr(node, attribute, ())
        if names:
            yield field, names


def _prompts(flow: m.Flow, available: PromptIndex) -> Iterator[m.FlowProblem]:
    for node in flow.nodes.values():
        pinned = node.language if isinstance(node, m.PlayNode) else None
        for field, names in _node_prompts(node):
            for name in names:
                for language in (pinned,) if pinned else flow.languages:
                    if (language, name) not in available:
                        yield _problem(
                            flow, node.line_of(field),
                            f"node {node.id!r}: prompt {name!r} missing for {language}: "
                            f"no ivr_prompts/{language}/{name}.txt",
                        )


# ---- the node graph ------------------------------------------------------------------------------

def _edges(flows: dict[str, m.Flow]) -> tuple[dict[NodeKey, list[NodeKey]], set[NodeKey]]:
    """Edges between existing nodes, and the nodes with a way out of the flow set's graph
    (final nodes, asks without fallback, references to what does not exist)."""
    edges: dict[NodeKey, list[NodeKey]] = {}
    exits: set[NodeKey] = set()
    for flow in flows.values():
        for node in flow.nodes.values():
            key = (flow.name, node.id)
            targets = [(flow.name, ref.target) for _, ref in m.node_refs(node)]
            if isinstance(node, m.GotoFlowNode):
                target = flows.get(node.flow)
                targets = [(node.flow, node.node or target.start.target)] if target else []
            if isinstance(node, m.FINAL_NODES) or (isinstance(node, m.AskNode) and node.fallback is None):
                exits.add(key)
            if isinstance(node, m.GotoFlowNode) and not targets:
                exits.add(key)
            existing = [t for t in targets if t[1] in flows[t[0]].nodes]
            if len(existing) < len(targets):
                exits.add(key)
            edges[key] = existing
    return edges, exits


def _components(edges: dict[NodeKey, list[NodeKey]]) -> list[list[NodeKey]]:
    """Strongly connected components (Kosaraju, iterative)."""
    order: list[NodeKey] = []
    seen: set[NodeKey] = set()
    for root in edges:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(edges[root]))]
        while stack:
            key, children = stack[-1]
            child = next((c for c in children if c not in seen), None)
            if child is None:
                order.append(key)
                stack.pop()
            else:
                seen.add(child)
                stack.append((child, iter(edges[child])))
    reverse: dict[NodeKey, list[NodeKey]] = {key: [] for key in edges}
    for key, targets in edges.items():
        for target in targets:
            reverse[target].append(key)
    components, assigned = [], set()
    for root in reversed(order):
        if root in assigned:
            continue
        component, pending = [], [root]
        assigned.add(root)
        while pending:
            key = pending.pop()
            component.append(key)
            for source in reverse[key]:
                if source not in assigned:
                    assigned.add(source)
                    pending.append(source)
        components.append(component)
    return components


def _graph_problems(flows: dict[str, m.Flow]) -> list[m.FlowProblem]:
    edges, exits = _edges(flows)
    reached: set[NodeKey] = set()
    pending = [(flow.name, flow.start.target) for flow in flows.values() if flow.start.target in flow.nodes]
    while pending:
        key = pending.pop()
        if key not in reached:
            reached.add(key)
            pending += edges[key]
    problems = []
    for flow in flows.values():
        if flow.broken or flow.start.target not in flow.nodes:
            continue  # already rejected: "never reached" would only repeat the real problem
        for node in flow.nodes.values():
            if (flow.name, node.id) not in reached:
                message = f"node {node.id!r} is never reached (not from start, no goto_flow)"
                problems.append(_problem(flow, node.line, message))
    for component in _components(edges):
        members = set(component)
        looping = len(component) > 1 or component[0] in edges[component[0]]
        if looping and not any(key in exits or set(edges[key]) - members for key in component):
            first = min(component, key=lambda key: (flows[key[0]].file, flows[key[0]].nodes[key[1]].line))
            flow = flows[first[0]]
            names = ", ".join(sorted(f"{f}:{n}" if f != flow.name else n for f, n in component))
            problems.append(_problem(
                flow, flow.nodes[first[1]].line,
                f"loop with no exit: {names} never reach a route, callback, voicemail or hangup",
            ))
    return problems
