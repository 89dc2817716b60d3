"""The recorded sandbox trace (one answered call, one busy) through the splitter, parser and normaliser.

Offline, in any TCP chunking; as distinct copies (what the replay server and `ccserver bench ingest`
send); and through a real `AmiLink` connected to the replay server.
"""

from __future__ import annotations

from typing import Any

import pytest

from ccserver.bench.ami_replay import AmiReplayServer, TraceFeed
from ccserver.bench.harness import wait_until
from ccserver.bench.trace import (
    Expectation,
    copies_bytes,
    encode_copies,
    expect,
    load_event_frames,
)
from ccserver.crm.journal_rows import CALL_COLUMNS, LEG_COLUMNS
from ccserver.events.replay import recorded_events

from .conftest import StartLink
from .support import ANSWERED_AND_BUSY, CollectingListener, normalise_us

CALLER = "+14155550100"


def _replay(data: bytes, chunk: int = 65536) -> Expectation:
    return expect(data, switch_id="sandbox", normalise_phone=normalise_us, chunk=chunk)


def _calls(expectation: Expectation) -> dict[str, dict[str, Any]]:
    """Calls by dialed number, as column -> value."""
    calls = [dict(zip(CALL_COLUMNS, row, strict=True)) for row in expectation.calls.values()]
    return {c["dialed_number"]: c for c in calls}


def _legs(expectation: Expectation, call: dict[str, Any]) -> list[dict[str, Any]]:
    legs = [dict(zip(LEG_COLUMNS, row, strict=True)) for row in expectation.legs.values()]
    return sorted((g for g in legs if g["call_id"] == call["id"]), key=lambda g: g["channel"])


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_any_tcp_chunking_gives_the_same_journal_calls_and_legs(chunk: int) -> None:
    data = ANSWERED_AND_BUSY.read_bytes()
    reference, got = _replay(data), _replay(data, chunk)
    assert [row[1:] for row in got.events] == [row[1:] for row in reference.events]  # all but arrival ids
    assert (got.calls, got.legs, got.bridges) == (reference.calls, reference.legs, reference.bridges)
    assert got.stats.bad_input == 0
    # 119 frames: 98 channel events + 4 LocalBridge (named by LocalOneUniqueid) journaled; the rest are not
    # about calls (FullyBooted, DeviceStateChange).
    assert (got.ami_events, len(got.events)) == (119, 102)


def test_the_answered_call_keeps_the_callers_accented_name_and_number() -> None:
    call = _calls(_replay(ANSWERED_AND_BUSY.read_bytes()))["20102"]
    assert (call["direction"], call["state"], call["outcome"]) == ("inbound", "ended", "answered")
    assert (call["caller_number"], call["caller_e164"], call["caller_name"]) == (CALLER, CALLER, "José M")
    assert call["started_at"] < call["answered_at"] < call["ended_at"]
    assert (call["hangup_cause"], call["hangup_cause_text"]) == (16, "Normal Clearing")


def test_the_answered_call_has_caller_and_callee_legs_bridged_then_cleared() -> None:
    expectation = _replay(ANSWERED_AND_BUSY.read_bytes())
    legs = _legs(expectation, _calls(expectation)["20102"])
    summary = [(g["channel"], g["role"], g["dial_status"], g["hangup_cause"]) for g in legs]
    assert summary == [
        ("Local/20102@sim-callee-00000004;1", "dialed", "ANSWER", 16),
        ("Local/20102@sim-callee-00000004;2", "other", None, 16),
        ("Local/5@sim-caller-00000003;1", "originator", "ANSWER", 16),
        ("Local/5@sim-caller-00000003;2", "other", None, 16),
    ]
    assert all(g["answered_at"] and g["hungup_at"] and g["caller_name"] == "José M" for g in legs)
    (bridge,) = expectation.bridges.values()
    assert bridge[1] == _calls(expectation)["20102"]["id"] and bridge[-1] == 2  # both parties were in it


def test_the_busy_call_is_busy_with_the_callee_side_cause_on_its_legs() -> None:
    expectation = _replay(ANSWERED_AND_BUSY.read_bytes())
    call = _calls(expectation)["30000"]
    assert (call["outcome"], call["answered_at"], call["caller_name"]) == ("busy", None, "José M")
    legs = {g["channel"]: g for g in _legs(expectation, call)}
    dialed = legs["Local/30000@sim-callee-00000006;1"]
    assert (dialed["role"], dialed["dial_status"], dialed["answered_at"]) == ("dialed", "BUSY", None)
    callee = legs["Local/30000@sim-callee-00000006;2"]
    assert (callee["state"], callee["hangup_cause"], callee["hangup_cause_text"]) == ("Busy", 17, "User busy")


def test_every_leg_that_started_also_ended() -> None:
    expectation = _replay(ANSWERED_AND_BUSY.read_bytes())
    assert expectation.tracker is not None
    assert not expectation.tracker.calls and not expectation.tracker.legs
    assert len(expectation.legs) == 8 and all(row[LEG_COLUMNS.index("hungup_at")] for row in expectation.legs.values())


def test_copies_of_the_trace_are_distinct_calls_with_the_same_outcomes() -> None:
    frames = load_event_frames(ANSWERED_AND_BUSY)
    single, triple = _replay(copies_bytes(frames, 1)), _replay(copies_bytes(frames, 3))
    assert (len(triple.calls), len(triple.legs), len(triple.bridges)) == (6, 24, 3)
    assert len(triple.events) == 3 * len(single.events)
    outcomes = sorted(c["outcome"] for c in _calls(single).values()) * 3
    assert sorted(dict(zip(CALL_COLUMNS, c, strict=True))["outcome"] for c in triple.calls.values()) == sorted(outcomes)
    endpoints = {row[LEG_COLUMNS.index("endpoint")] for row in triple.legs.values()}
    assert endpoints == {"5@sim-caller", "20102@sim-callee", "30000@sim-callee"}  # channel suffixes stay hex


async def test_the_link_delivers_exactly_the_events_of_the_trace(start_link: StartLink) -> None:
    data = ANSWERED_AND_BUSY.read_bytes()
    recorded = list(recorded_events(data))
    feed = TraceFeed(encode_copies(load_event_frames(ANSWERED_AND_BUSY), 1), stamp=False)
    listener = CollectingListener()
    async with AmiReplayServer(feed, max_seconds=20) as server:
        link = start_link(server.port, listener)
        await wait_until(lambda: len(listener.events) >= len(recorded) + 1, timeout=10)  # + the server's FullyBooted
    server_booted, *delivered = listener.events  # the server's own FullyBooted after Login comes first
    assert server_booted["Event"] == "FullyBooted" and delivered == recorded
    assert link.logins == 1 and link.frame_stats.bad_input == 0
