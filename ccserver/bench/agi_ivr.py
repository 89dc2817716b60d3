"""The IVR that `ccserver bench agi` measures: the real `IvrRunner.handle` with the pure engine, a real
`FlowRegistry` and the `IvrRecorder` on an `EventBus`, built as `ccserver serve` builds them (main.Ivr),
with three stand-ins for what this bench does not measure:

- the flow: `BENCH_FLOW` and its prompts, written to a temporary directory and loaded (and validated)
  by `FlowRegistry` like any flow file;
- the CRM dip: an in-process function, no database: callers whose number ends in an even digit are
  known customers (those ending in 0 or 4 are "gold"), the others are not;
- the journal: the bus's only subscriber counts the entries. Writing them to PostgreSQL is
  `ccserver bench ingest`'s subject, not this bench's.
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from ccserver.crm.phones import to_e164
from ccserver.events.bus import EventBus
from ccserver.events.journal_ids import JournalIds
from ccserver.events.model import IvrSession, TrackedEvent
from ccserver.ivr.flow_registry import FlowRegistry
from ccserver.ivr.recorder import IvrRecorder
from ccserver.ivr.runner import IvrRunner

# Every call walks 9 or 10 nodes: known or unknown caller, gold or not. The bench's callers press 1 at
# the menu, then the 4 digits of an account number (CALLER_KEYS); every prompt plays to its end.
BENCH_FLOW = """\
flow: bench
description: "ccserver bench agi: lookup, play, menu, set, collect, say, condition, play, route"
languages: [en]
start: find_caller
nodes:
  find_caller: {type: lookup, by: caller_id, found: welcome_back, not_found: welcome}
  welcome_back: {type: play, prompt: welcome_back, next: main_menu}
  welcome: {type: play, prompt: welcome, next: main_menu}
  main_menu:
    type: menu
    prompt: main_menu
    options: {"1": billing, "2": support}
    fallback: support
  billing: {type: set, queue: billing, skills: {billing: 5}, next: account_number}
  account_number:
    type: collect
    prompt: enter_account
    min_length: 4
    max_length: 4
    store: account
    next: read_back
    fallback: support
  read_back: {type: say, digits: "{account}", next: check_tier}
  check_tier: {type: condition, field: customer.tier, in: [gold, vip], then: priority, else: please_hold}
  priority: {type: set, priority: 10, next: priority_notice}
  priority_notice: {type: play, prompt: priority_customer, next: to_billing}
  please_hold: {type: play, prompt: please_hold, next: to_billing}
  to_billing: {type: route}
  support: {type: route, queue: support, skills: {technical: 3}}
"""
BENCH_PROMPTS = ("welcome", "welcome_back", "main_menu", "enter_account", "priority_customer", "please_hold")
CALLER_KEYS = "1" + "2580"
FLOW_NAME = "bench"


_CUSTOMERS = {
    tier: {"id": uuid.UUID(int=n), "name": "Jose Martin", "language": "en", "tier": tier,
           "custom_fields": {"plan": "business"}}
    for n, tier in enumerate(("gold", "standard"), 1)
}


async def crm_lookup(by: str, value: str) -> dict[str, Any] | None:
    """The CRM dip, in process: a fixed customer for numbers ending in an even digit, else nobody."""
    if by != "caller_id" or not value or value[-1] not in "02468":
        return None
    return _CUSTOMERS["gold" if value[-1] in "04" else "standard"]


@dataclass
class JournalCounter:
    """The bus's subscriber: counts what the journal writer would have stored, and how calls ended."""

    name: str = "bench-journal-counter"
    entries: int = 0
    endings: Counter[tuple[str, str | None]] = field(default_factory=Counter)  # (outcome, queue) per call
    callers: Counter[str] = field(default_factory=Counter)  # "known" / "unknown", from IvrLookup

    def offer(self, entry: TrackedEvent) -> None:
        self.entries += 1
        if entry.name == "ccserver.IvrEnded":
            queue = next((e.routing.get("queue") for e in entry.touched if isinstance(e, IvrSession)), None)
            self.endings[(entry.headers["Outcome"], queue)] += 1
        elif entry.name == "ccserver.IvrLookup":
            self.callers["known" if entry.headers.get("Found") == "True" else "unknown"] += 1


class BenchIvr:
    """`runner.handle` is the AGI handler under test; `journal` counts what it published."""

    def __init__(self, directory: Path) -> None:
        (directory / "flows").mkdir()
        (directory / "flows" / f"{FLOW_NAME}.yaml").write_text(BENCH_FLOW, encoding="utf-8")
        (directory / "prompts" / "en").mkdir(parents=True)
        for prompt in BENCH_PROMPTS:
            (directory / "prompts" / "en" / f"{prompt}.txt").write_text(prompt.replace("_", " "), encoding="utf-8")
        self.flows = FlowRegistry(directory / "flows", prompt_dir=directory / "prompts")
        problems = self.flows.reload()
        if problems:
            raise ValueError("the bench flow does not load: " + "; ".join(map(str, problems)))
        bus = EventBus()
        self.journal = JournalCounter()
        bus.subscribe(self.journal)
        # As Backbone.build does: callers call again, so their numbers' parse is remembered.
        normalise = lru_cache(maxsize=100_000)(partial(to_e164, default_region="US"))
        self.runner = IvrRunner(
            flows=self.flows, recorder=IvrRecorder(bus=bus, ids=JournalIds(), clock=_now), lookup=crm_lookup,
            switch_ids=["bench"], normalise_phone=normalise, clock=_now, messages_dir=str(directory / "messages"),
        )


@contextlib.contextmanager
def bench_ivr() -> Iterator[BenchIvr]:
    with tempfile.TemporaryDirectory(prefix="ccserver-bench-agi-") as directory:
        yield BenchIvr(Path(directory))


def _now() -> datetime:
    return datetime.now(UTC)
