"""The normaliser on a trace recorded from the real sandbox (tests/e2e records it; no switch needed here)."""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path

import pytest

from ccserver.crm.phones import to_e164
from ccserver.events.journal_ids import JournalIds
from ccserver.events.replay import replay
from ccserver.events.tracker import CallTracker

TRACE = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "sandbox_scenarios.raw"


def _replay(chunk: int):
    tracker = CallTracker("sandbox", ids=JournalIds(), normalise_phone=partial(to_e164, default_region="US"))
    entries = replay(TRACE.read_bytes(), tracker, chunk=chunk)
    return tracker, entries


def _ended_calls(entries):
    return [e.call for e in entries if "call_ended" in e.transitions]


def test_the_eight_scenarios_end_with_the_outcomes_that_happened() -> None:
    tracker, entries = _replay(65536)
    calls = [c for c in _ended_calls(entries) if c.direction == "inbound"]
    outcomes = Counter(c.outcome for c in calls)
    assert outcomes["busy"] == 1 and outcomes["no_answer"] == 1 and outcomes["abandoned"] == 1
    assert outcomes["failed"] == 1 and outcomes["answered"] == 4
    assert sum(c.transfer_count for c in calls) == 1
    assert not tracker.calls and not tracker.legs  # every call that started also ended


@pytest.mark.parametrize("chunk", [1, 13, 4096])
def test_any_tcp_chunking_gives_the_same_journal(chunk: int) -> None:
    _, reference = _replay(65536)
    _, entries = _replay(chunk)
    assert [(e.name, e.call_id, e.leg_id) for e in entries] == [(e.name, e.call_id, e.leg_id) for e in reference]
    names = {c.caller_name for c in _ended_calls(entries)}
    assert "Zoë Ångström" in names  # a name split across reads still decodes whole
