"""A scripted caller for the engine, and flows written inline for tests."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from ccserver.ivr import engine
from ccserver.ivr.commands import Command, Digits, Finish, IvrEvent, LookupResult, Played, Recorded, Result
from ccserver.ivr.flow_model import FlowSet
from ccserver.ivr.flow_registry import FlowRegistry
from ccserver.ivr.flow_yaml import load_flow

PROJECT = Path(__file__).resolve().parents[3]
# Tuesday 3 June 2025, 11:00 in New York: open.
OPEN = datetime(2025, 6, 3, 15, 0, tzinfo=UTC)
STRANGER = engine.CallInfo(caller_number="3125550199", caller_e164="+13125550199", dialed_number="8005550100")


@cache
def demo_flows() -> FlowSet:
    """The repo's dialplans/ivr, loaded as ccserver loads them (prompts checked)."""
    registry = FlowRegistry(PROJECT / "dialplans" / "ivr", prompt_dir=PROJECT / "ivr_prompts")
    problems = registry.reload()
    assert problems == [], problems
    return registry.snapshot()


def flows_of(*texts: str) -> FlowSet:
    """Flows from YAML texts, loaded without the set checks (tests of the engine on its own)."""
    flows = {}
    for number, text in enumerate(texts):
        loaded = load_flow(textwrap.dedent(text), f"test{number}.yaml")
        assert loaded.flow is not None and not loaded.problems, loaded.problems
        flows[loaded.flow.name] = loaded.flow
    return FlowSet(flows, 1)


class Caller:
    """Drives one call through the engine, keeping every command and event."""

    def __init__(
        self, flows: FlowSet | None = None, call: engine.CallInfo = STRANGER, now: datetime = OPEN,
        flow: str = "inbound",
    ) -> None:
        self.flows = flows or demo_flows()
        self.now = now
        self.step = engine.start(self.flows, flow, call, now)
        self.commands: list[Command] = [self.step.command]
        self.events: list[IvrEvent] = list(self.step.events)

    @property
    def command(self) -> Command:
        return self.step.command

    @property
    def finish(self) -> Finish:
        assert isinstance(self.step.command, Finish), self.step.command
        return self.step.command

    def answer(self, result: Result) -> Command:
        self.step = engine.advance(self.flows, self.step.state, result, self.now)
        self.commands.append(self.step.command)
        self.events += self.step.events
        return self.step.command

    def press(self, keys: str) -> Command:
        return self.answer(Digits(keys))

    def silence(self) -> Command:
        return self.answer(Digits("", timed_out=True))

    def heard(self, interrupted_by: str = "") -> Command:
        return self.answer(Played(interrupted_by))

    def looked_up(self, customer: dict[str, object] | None) -> Command:
        return self.answer(LookupResult(customer))

    def recorded(self, path: str | None, seconds: float = 0.0) -> Command:
        return self.answer(Recorded(path, seconds))

    def kinds(self, kind: str) -> list[IvrEvent]:
        return [event for event in self.events if event.kind == kind]
