"""`ccserver bench ingest`: how fast recorded AMI traffic becomes journal rows, beside COPY alone.

Three phases on a throw-away database (`ccserver_bench_<hex>`, dropped at the end):

1. baseline: the journal rows the trace copies make, built offline, stored by COPY alone in batches of
   the writer's size -> rows/s, the ceiling for this PostgreSQL;
2. end to end: a `Backbone` against the replay server sending at full speed: AMI events/s from the first
   frame sent to the last batch committed (parse -> normalise -> persisted); then every journal row,
   call and leg is checked against the offline expectation (same order, none missing, none twice);
3. latency: the replay server paced at `--rate` events/s for `--seconds`: p50/p99 of the time from
   an event's `Timestamp` (its send time) to the commit of the batch holding its row.

The replay server runs as a child process (loopback only) so the sender does not share the reader's
CPU. The writer under test reads its settings from CCSERVER_* like `ccserver serve` does, e.g.
CCSERVER_JOURNAL_BATCH_SIZE (the COPY baseline uses the same batch size). Loopback and bounded: the
whole run stops after 2 minutes at most.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import math
import pstats
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import asyncpg

import ccserver
from ccserver.backbone import Backbone
from ccserver.bench.harness import CommitProbe, bench_database, percentile, replay_process, wait_until
from ccserver.bench.ingest_check import check_database
from ccserver.bench.trace import Expectation, copies_bytes, expect, load_event_frames
from ccserver.crm.journal_rows import EVENT_COLUMNS
from ccserver.crm.phones import to_e164
from ccserver.metrics import Metrics
from ccserver.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_TRACE = Path(ccserver.__file__).resolve().parent.parent / "tests/fixtures/ami/answered_and_busy.raw"
SWITCH_ID = "bench"
TARGET_EVENTS_PER_S = 20_000
TARGET_RATIO = 0.5
TARGET_P99_S = 0.250
_TOTAL_BOUND_S = 120.0  # the whole bench, whatever happens


@dataclass
class IngestFigures:
    ami_events: int = 0
    journal_rows: int = 0
    copy_rows_per_s: float = 0.0
    e2e_seconds: float = 0.0
    e2e_events_per_s: float = 0.0
    e2e_rows_per_s: float = 0.0
    latency_rate: float = 0.0
    latency_events: int = 0
    achieved_rate: float = 0.0
    p50: float = math.nan
    p99: float = math.nan
    problems: list[str] = field(default_factory=list)
    checked: str = ""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccserver bench ingest", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--copies", type=int, default=1000, help="trace copies for COPY and end to end (1000)")
    p.add_argument("--rate", type=float, default=5000.0, help="events/s for the latency phase (5000)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the latency phase (10)")
    p.add_argument("--trace", type=Path, default=DEFAULT_TRACE, help="recorded AMI stream to replay")
    p.add_argument("--server-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres",
                   help="PostgreSQL server to make the scratch database on")
    p.add_argument("--profile", type=Path, help="cProfile the end-to-end phase into this file")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, not only on errors")
    return p


def ingest_bench(options: list[str]) -> int:
    args = _parser().parse_args(options)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        figures = asyncio.run(_run(args))
    except TimeoutError:
        print(f"ccserver bench ingest: gave up after {_TOTAL_BOUND_S:.0f} s (try fewer --copies)", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"ccserver bench ingest: {exc} (is PostgreSQL at {args.server_dsn} running?)", file=sys.stderr)
        return 1
    print(report(figures, trace=args.trace, copies=args.copies))
    missed = (figures.e2e_events_per_s < TARGET_EVENTS_PER_S
              or figures.e2e_rows_per_s < TARGET_RATIO * figures.copy_rows_per_s or not figures.p99 < TARGET_P99_S)
    return 1 if figures.problems or (args.strict and missed) else 0


async def _run(args: argparse.Namespace) -> IngestFigures:
    async with asyncio.timeout(_TOTAL_BOUND_S):
        return await _phases(args)


async def _phases(args: argparse.Namespace) -> IngestFigures:
    normalise = partial(to_e164, default_region="US")
    frames = load_event_frames(args.trace)
    print(f"building the offline expectation of {args.copies} copies of {args.trace.name} ...", flush=True)
    expected = await asyncio.to_thread(
        expect, copies_bytes(frames, args.copies), switch_id=SWITCH_ID, normalise_phone=normalise
    )
    figures = IngestFigures(ami_events=expected.ami_events, journal_rows=len(expected.events))
    async with bench_database(args.server_dsn) as dsn:
        figures.copy_rows_per_s = await _copy_only(dsn, expected)
        print(f"COPY only: {figures.copy_rows_per_s:,.0f} rows/s", flush=True)
        await _truncate(dsn)
        await _end_to_end(dsn, args, expected, figures)
        print(f"end to end: {figures.e2e_events_per_s:,.0f} events/s", flush=True)
        await _truncate(dsn)
        rows_per_copy = len(expected.events) // args.copies
        await _latency(dsn, args, rows_per_copy, len(frames), figures)
    return figures


def _settings(dsn: str, port: int, spool: str) -> Settings:
    return Settings(
        database_url=dsn, ami_url=f"ami://bench:bench@127.0.0.1:{port}?switch={SWITCH_ID}",
        spool_dir=Path(spool), default_region="US",
    )


async def _copy_only(dsn: str, expected: Expectation) -> float:
    size = Settings(database_url=dsn).journal_batch_size  # the writer's batch size
    rows = expected.events
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        for at in range(0, len(rows), size):
            async with conn.transaction():
                await conn.copy_records_to_table("call_events", records=rows[at : at + size], columns=EVENT_COLUMNS)
        took = time.perf_counter() - started
    finally:
        await conn.close()
    return len(rows) / took


async def _truncate(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("TRUNCATE call_events, legs, bridges, calls")
    finally:
        await conn.close()


async def _end_to_end(dsn: str, args: argparse.Namespace, expected: Expectation, figures: IngestFigures) -> None:
    rows = len(expected.events)
    with tempfile.TemporaryDirectory(prefix="ccserver-bench-spool-") as spool:
        async with replay_process(args.trace, copies=args.copies, seconds=120) as replay:
            backbone = Backbone.build(_settings(dsn, replay.port, spool), Metrics())
            probe = CommitProbe(backbone.journal, keep_times=True)
            profiler = cProfile.Profile() if args.profile else None
            await backbone.start()
            try:
                if profiler:
                    profiler.enable()
                await wait_until(lambda: probe.rows >= rows, timeout=120)
            finally:
                if profiler:
                    profiler.disable()
                await backbone.stop()
    first_sent = min(t.timestamp() for t in probe.commits[0].occurred_at)
    figures.e2e_seconds = probe.commits[-1].committed_at - first_sent
    figures.e2e_events_per_s = expected.ami_events / figures.e2e_seconds
    figures.e2e_rows_per_s = rows / figures.e2e_seconds
    if profiler:
        profiler.dump_stats(args.profile)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    figures.checked, problems = await check_database(dsn, expected, ignore_times=True)
    figures.problems += problems


async def _latency(
    dsn: str, args: argparse.Namespace, rows_per_copy: int, frames_per_copy: int, figures: IngestFigures
) -> None:
    copies = max(1, math.ceil(args.rate * args.seconds / frames_per_copy))
    rows = rows_per_copy * copies
    figures.latency_rate = args.rate
    figures.latency_events = copies * frames_per_copy
    with tempfile.TemporaryDirectory(prefix="ccserver-bench-spool-") as spool:
        async with replay_process(args.trace, copies=copies, rate=args.rate, seconds=args.seconds + 60) as replay:
            backbone = Backbone.build(_settings(dsn, replay.port, spool), Metrics())
            probe = CommitProbe(backbone.journal, keep_times=True)
            await backbone.start()
            try:
                await wait_until(lambda: probe.rows >= rows, timeout=args.seconds + 30)
            finally:
                await backbone.stop()
    latencies = probe.latencies()
    figures.p50, figures.p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    first = min(t.timestamp() for t in probe.commits[0].occurred_at)
    last = max(t.timestamp() for t in probe.commits[-1].occurred_at)
    figures.achieved_rate = figures.latency_events / max(last - first, 1e-9)


def report(f: IngestFigures, *, trace: Path, copies: int) -> str:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    ratio = f.e2e_rows_per_s / f.copy_rows_per_s if f.copy_rows_per_s else 0.0
    lines = [
        "",
        f"ccserver bench ingest: {trace.name} x {copies} copies = {f.ami_events:,} AMI events -> "
        f"{f.journal_rows:,} journal rows",
        f"{'':38}{'measured':>14}{'target':>14}",
        f"{'COPY only, journal rows/s':38}{f.copy_rows_per_s:>14,.0f}{'(baseline)':>14}",
        f"{'end to end, AMI events/s':38}{f.e2e_events_per_s:>14,.0f}{'>= 20,000':>14}  "
        f"{verdict(f.e2e_events_per_s >= TARGET_EVENTS_PER_S)}",
        f"{'end to end, journal rows/s':38}{f.e2e_rows_per_s:>14,.0f}",
        f"{'ratio e2e / COPY (rows/s)':38}{ratio:>14.2f}{'>= 0.5':>14}  {verdict(ratio >= TARGET_RATIO)}",
        f"{f'latency p50 @ {f.latency_rate:,.0f} events/s':38}{f.p50 * 1000:>11.1f} ms",
        f"{f'latency p99 @ {f.latency_rate:,.0f} events/s':38}{f.p99 * 1000:>11.1f} ms{'< 250 ms':>14}  "
        f"{verdict(f.p99 < TARGET_P99_S)}",
        f"  (latency phase: {f.latency_events:,} events sent at {f.achieved_rate:,.0f}/s; "
        f"end to end took {f.e2e_seconds:.2f} s)",
        f"checks: {f.checked}" if not f.problems else "checks FAILED:\n  " + "\n  ".join(f.problems[:20]),
    ]
    return "\n".join(lines)
