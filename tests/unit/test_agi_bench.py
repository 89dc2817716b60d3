"""`ccserver bench agi` at toy size: the real IVR takes the bench flow's path, and every call placed is
served and measured on all three servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ccserver.bench.agi import bench_load, first_call_commands, flow_problems, report, run_agi_bench
from ccserver.bench.agi_client import Load, reply_to
from ccserver.bench.agi_ivr import CALLER_KEYS, BenchIvr, bench_ivr


@pytest.fixture
def ivr() -> Iterator[BenchIvr]:
    with bench_ivr() as ivr:
        yield ivr


async def test_a_known_gold_caller_presses_1_keys_an_account_and_is_handed_to_billing(ivr: BenchIvr) -> None:
    script = await first_call_commands(ivr.runner.handle, CALLER_KEYS)  # call 0: +15550000000, a gold customer
    assert [line.decode() for line in script] == [
        "ANSWER\n", "SET VARIABLE CHANNEL(language) en\n",
        "STREAM FILE ccserver/welcome_back 0123456789*#\n",
        "STREAM FILE ccserver/main_menu 0123456789*#\n", "WAIT FOR DIGIT 5000\n",
        "STREAM FILE ccserver/enter_account 0123456789*#\n", "WAIT FOR DIGIT 5000\n", *["WAIT FOR DIGIT 4000\n"] * 3,
        "SAY DIGITS 2580 0123456789*#\n",
        "STREAM FILE ccserver/priority_customer 0123456789*#\n",
        "SET VARIABLE CCSERVER_QUEUE billing\n", "SET VARIABLE CCSERVER_SKILLS billing:5\n",
        "SET VARIABLE CCSERVER_PRIORITY 10\n", "SET VARIABLE CCSERVER_ROUTE_LANGUAGE en\n",
        "SET VARIABLE CCSERVER_NEXT acd\n", "SET VARIABLE CCSERVER_ROUTED 1\n",
    ]
    assert ivr.journal.endings == {("handoff", "billing"): 1} and ivr.journal.callers == {"known": 1}


async def test_every_call_is_served_by_the_ivr_bare_agi_and_baseline_and_the_report_shows_the_target(
    ivr: BenchIvr,
) -> None:
    script = await first_call_commands(ivr.runner.handle, CALLER_KEYS)
    figures = await run_agi_bench(ivr.runner.handle, script, Load(20, keys=CALLER_KEYS), rounds=2, clients="inline")
    for side in figures.sides.values():
        assert (side.sessions, side.failed, side.commands) == (40, 0, 40 * 18)
        assert len(side.turnaround) == 40 * 17 and len(side.setup) == 40
    assert figures.problems == [] and flow_problems(ivr.journal) == []
    assert ivr.journal.endings == {("handoff", "billing"): 41} and ivr.journal.callers == {"known": 21, "unknown": 20}
    text = report([figures])
    assert "full IVR runner" in text and "bare AGI session" in text and "raw TCP baseline" in text
    assert "(target: full IVR < 2 ms)" in text


async def test_paced_calls_from_a_child_process_overlap_without_starting_together(ivr: BenchIvr) -> None:
    script = await first_call_commands(ivr.runner.handle, CALLER_KEYS)
    load = bench_load(10, think_ms=2, commands_per_call=len(script), keys=CALLER_KEYS)
    assert (load.calls_per_slot, load.spread_ms) == (3, 36)
    figures = await run_agi_bench(ivr.runner.handle, script, load, rounds=1, clients="process")
    assert [side.sessions for side in figures.sides.values()] == [30, 30, 30]
    assert figures.problems == [] and ivr.journal.endings == {("handoff", "billing"): 31}


async def test_a_caller_who_keys_nothing_falls_back_to_support_and_the_bench_says_the_call_went_astray(
    ivr: BenchIvr,
) -> None:
    script = await first_call_commands(ivr.runner.handle, keys="")
    assert sum(line.startswith(b"STREAM FILE ccserver/main_menu") for line in script) == 3  # asked, and twice again
    assert flow_problems(ivr.journal) == ["full IVR: calls off the bench flow's path: 1 handoff to support"]


def test_clients_answer_commands_the_way_asterisk_would() -> None:
    keys = iter("1")
    assert reply_to(b"WAIT FOR DIGIT 5000\n", keys) == b"200 result=49\n"
    assert reply_to(b"WAIT FOR DIGIT 5000\n", keys) == b"200 result=0\n"  # no more keys: silence
    assert reply_to(b"STREAM FILE ccserver/welcome 0123456789*#\n") == b"200 result=0 endpos=8000\n"
    assert reply_to(b"GET DATA ivr/menu 3000 1\n") == b"200 result=1\n"
    assert reply_to(b"NOOP\n") == b"200 result=0\n"
