"""`ccserver bench agi` at toy size: every call placed is served on both sides and measured."""

from __future__ import annotations

from ccserver.asterisk.agi_server import AgiHandler
from ccserver.asterisk.agi_session import AgiSession
from ccserver.bench.agi import bench_flow, bench_load, report, run_agi_bench
from ccserver.bench.agi_client import Load, reply_to


async def test_bench_flow_runs_every_call_on_both_sides_and_reports_the_target() -> None:
    figures = await run_agi_bench(bench_flow(10), Load(40), rounds=2, clients="inline")
    for side in (figures.baseline, figures.agi):
        assert (side.sessions, side.failed, side.commands) == (80, 0, 800)
        assert len(side.turnaround) == 80 * 9 and len(side.setup) == 80
    assert figures.problems == []
    text = report([figures])
    assert "overhead p99 (AGI - baseline)" in text and "target < 2 ms" in text


async def test_a_plugged_in_flow_sets_the_baseline_round_trips_and_clients_run_in_a_child_process() -> None:
    def factory() -> AgiHandler:
        async def flow(session: AgiSession) -> None:
            await session.answer()
            digits, _ = await session.get_data("ivr/menu", 3000, 1)
            assert digits == "1"
            await session.record_file("/tmp/vm", "wav")

        return flow

    figures = await run_agi_bench(factory, Load(10, calls_per_slot=2), rounds=1, clients="process")
    assert figures.agi.commands == figures.baseline.commands == 60
    assert figures.problems == [] and figures.agi.failed == 0


async def test_paced_calls_overlap_without_starting_together() -> None:
    load = bench_load(20, think_ms=5)
    assert (load.calls_per_slot, load.spread_ms) == (3, 50)
    figures = await run_agi_bench(bench_flow(4), load, rounds=1, clients="inline")
    assert figures.agi.sessions == figures.baseline.sessions == 60
    assert figures.agi.failed == figures.baseline.failed == 0


def test_clients_answer_commands_the_way_asterisk_would() -> None:
    assert reply_to(b'STREAM FILE ivr/welcome ""\n') == b"200 result=0 endpos=8000\n"
    assert reply_to(b"GET DATA ivr/menu 3000 1\n") == b"200 result=1\n"
    assert reply_to(b"NOOP\n") == b"200 result=0\n"
