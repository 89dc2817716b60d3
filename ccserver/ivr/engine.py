"""The IVR flow engine: pure. State and a result in, the next command and the events out.

    step = engine.start(flows, "inbound", call, now)        # -> Step(state, command, events)
    step = engine.advance(flows, step.state, result, now)   # result answers step.command
    ... until step.command is a Finish.

No I/O, no clock of its own (`now` decides business hours), no exceptions for anything a flow or a
runner can do: an unknown flow, a result of the wrong type or a runaway loop end the flow with
Finish(outcome="fallback") and an Error event, so the dialplan's human fallback takes the call.
"""

from __future__ import annotations

from datetime import datetime

from ccserver.ivr import flow_model as m
from ccserver.ivr.commands import Command, Digits, LookupResult, Played, Recorded, Result
from ccserver.ivr.engine_nodes import Go, Outcome, enter, resume
from ccserver.ivr.engine_state import CallInfo, IvrState, Run, Step

__all__ = ["MAX_TRANSITIONS", "CallInfo", "IvrState", "Step", "advance", "start"]

MAX_TRANSITIONS = 200  # nodes entered in one step without the caller: more is a loop in the flow
EXPECTED: dict[str, type] = {
    "input": Digits, "played": Played, "reprompt": Played, "lookup": LookupResult, "recorded": Recorded,
}


def start(flows: m.FlowSet, flow_name: str, call: CallInfo, now: datetime) -> Step:
    flow = flows.get(flow_name)
    language = flow.language if flow else (call.language or "en")
    if flow is not None and call.language in flow.languages:
        language = call.language
    run = Run(flows, now, IvrState(flow=flow_name, node="", language=language, call=call))
    if flow is None:
        return _step(run, run.fail(f"no flow {flow_name!r}"))
    run.emit("FlowEntered", language=language, version=flow.version)
    return _walk(run, Go(flow.start.target))


def advance(flows: m.FlowSet, state: IvrState, result: Result, now: datetime) -> Step:
    run = Run(flows, now, state)
    if state.finished:
        return _step(run, run.fail("the flow had already finished"))
    flow = flows.get(state.flow)
    node = flow.nodes.get(state.node) if flow else None
    if flow is None or node is None:
        return _step(run, run.fail(f"no node {state.flow}:{state.node} in this flow set"))
    expected = EXPECTED.get(state.waiting)
    if expected is None or not isinstance(result, expected):
        wanted = expected.__name__ if expected else "nothing"
        return _step(run, run.fail(f"node {node.id!r} waits for {wanted}, got {type(result).__name__}"))
    return _walk(run, resume(run, flow, node, result))


def _walk(run: Run, outcome: Outcome) -> Step:
    """Enter nodes until one needs the switch (or the caller), within MAX_TRANSITIONS."""
    for _ in range(MAX_TRANSITIONS):
        if not isinstance(outcome, Go):
            return _step(run, outcome)
        flow = run.flows.get(outcome.flow or run.state.flow)
        node = flow.nodes.get(outcome.node) if flow else None
        if flow is None or node is None:
            return _step(run, run.fail(f"no node {outcome.flow or run.state.flow}:{outcome.node}"))
        if flow.name != run.state.flow:
            came_from = run.state.flow
            run.update(flow=flow.name, node="")
            run.emit("FlowEntered", came_from=came_from, version=flow.version)
            if run.state.language not in flow.languages:
                run.set_language(flow.language, "flow")
        run.update(node=node.id, waiting="", path=(*run.state.path, f"{flow.name}:{node.id}"))
        run.emit("NodeEntered", type=node.kind)
        outcome = enter(run, flow, node)
    if not isinstance(outcome, Go):
        return _step(run, outcome)
    return _step(run, run.fail(f"more than {MAX_TRANSITIONS} nodes in a row without the caller: a loop in the flow"))


def _step(run: Run, command: Command) -> Step:
    return Step(run.state, command, tuple(run.events))
