"""`ccserver bench agi`: many concurrent FastAGI calls through `AgiServer`, beside raw asyncio TCP.

Each round places calls from a client process (ccserver/bench/agi_client.py, loopback only, so its
CPU is not the server's), up to `--sessions` in flight, each run to its end:

- AGI: `AgiServer` with a handler running a `--steps`-command flow through the `AgiSession` helpers
  (ANSWER, SET/GET VARIABLE, STREAM FILE, GET DATA, SAY DIGITS/NUMBER, VERBOSE, ...);
- baseline: a raw asyncio TCP server reading the same headers up to the blank line, then doing the
  same number of line round trips with the same bytes, with no AGI parsing or checking.

The client times the server's turn-around: from its reply written to the next command read (p50/p99
per command), and the call set-up (headers written to the first command). Also reported: calls/s and
commands/s over the round, and the server process's CPU per command. Target: the AGI p99 turn-around
at most 2 ms above the baseline's with 500 concurrent calls. One phase per `--think-ms` value:

- 0, answered at once: `--sessions` calls start together and every call always waits on the
  server, so this phase shows capacity (calls/s, commands/s, CPU per command), and its turn-around
  is queueing, about (calls in flight) x (CPU per command): at 500 calls, each 4 us of extra work
  per command adds 2 ms;
- 100, paced: each reply after ~100 ms (+-50%), like a prompt playing; `--sessions` slots of 3 calls
  back to back, their starts spread over one call's length, so 500 calls are in flight without a
  connect burst: turn-around is then the server's own latency at a steady ~3,500 commands/s.

Each round starts from a collected heap (see benchmarks/README.md on garbage collection).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ccserver.asterisk.agi_server import AgiHandler, AgiServer
from ccserver.asterisk.agi_session import AgiSession
from ccserver.asterisk.agi_wire import build_command
from ccserver.bench.agi_client import ClientProcess, Load, RoundResult, run_round
from ccserver.bench.harness import percentile

TARGET_OVERHEAD_P99_S = 0.002
_TOTAL_BOUND_S = 300.0

# The bench flow, one AgiSession call per step; a flow of N steps cycles through them.
_STEPS: list[Callable[[AgiSession], Awaitable[object]]] = [
    lambda s: s.answer(),
    lambda s: s.set_variable("CCSERVER_FLOW", s.path),
    lambda s: s.get_variable("CALLERID(name)"),
    lambda s: s.stream_file("ivr/en/welcome", ""),
    lambda s: s.get_data("ivr/en/main-menu", 5000, 1),
    lambda s: s.say_digits("12345", "#"),
    lambda s: s.say_number(42, "#"),
    lambda s: s.stream_file("ivr/en/goodbye", "#"),
    lambda s: s.verbose("bench flow done", 3),
    lambda s: s.set_variable("CCSERVER_ROUTED", "1"),
]
# What the same steps put on the wire, for the baseline.
_STEP_BYTES = [
    b"ANSWER\n", build_command("SET VARIABLE", "CCSERVER_FLOW", "bench"),
    build_command("GET VARIABLE", "CALLERID(name)"), build_command("STREAM FILE", "ivr/en/welcome", ""),
    build_command("GET DATA", "ivr/en/main-menu", 5000, 1), build_command("SAY DIGITS", "12345", "#"),
    build_command("SAY NUMBER", 42, "#"), build_command("STREAM FILE", "ivr/en/goodbye", "#"),
    build_command("VERBOSE", "bench flow done", 3), build_command("SET VARIABLE", "CCSERVER_ROUTED", "1"),
]


def bench_flow(steps: int) -> Callable[[], AgiHandler]:
    """A handler factory for a flow of `steps` commands."""

    def factory() -> AgiHandler:
        async def flow(session: AgiSession) -> None:
            for n in range(steps):
                await _STEPS[n % len(_STEPS)](session)

        return flow

    return factory


@dataclass
class SideFigures:
    sessions: int = 0
    failed: int = 0
    commands: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    gc_pauses: list[float] = field(default_factory=list)  # the server process's garbage collections
    turnaround: list[float] = field(default_factory=list)
    setup: list[float] = field(default_factory=list)

    def add(self, result: RoundResult, cpu_seconds: float, gc_pauses: list[float]) -> None:
        self.sessions += result.sessions
        self.failed += result.failed
        self.commands += result.commands
        self.seconds += result.seconds
        self.cpu_seconds += cpu_seconds
        self.client_cpu_seconds += result.cpu_seconds
        self.gc_pauses += gc_pauses
        self.turnaround += result.turnaround
        self.setup += result.setup

    def per_s(self, count: int) -> float:
        return count / self.seconds if self.seconds else 0.0

    def p(self, fraction: float) -> float:
        return percentile(self.turnaround, fraction)


@dataclass
class AgiBenchFigures:
    load: Load
    rounds: int
    clients: str
    baseline: SideFigures = field(default_factory=SideFigures)
    agi: SideFigures = field(default_factory=SideFigures)
    problems: list[str] = field(default_factory=list)

    @property
    def overhead_p99(self) -> float:
        return self.agi.p(0.99) - self.baseline.p(0.99)


def bench_load(sessions: int, think_ms: float) -> Load:
    """At once: `sessions` calls start together. Paced: `sessions` slots of 3 calls each, their starts
    spread over about one call of the bench flow (10 commands), so 500 are in flight in the middle."""
    if not think_ms:
        return Load(sessions)
    return Load(sessions, calls_per_slot=3, think_ms=think_ms, spread_ms=think_ms * len(_STEPS))


async def run_agi_bench(
    handler_factory: Callable[[], AgiHandler], load: Load, *, rounds: int = 3, clients: str = "process"
) -> AgiBenchFigures:
    """Rounds of `load` against `AgiServer(handler_factory())`, each followed by the same load against
    the raw TCP baseline (as many round trips per call as the AGI flow made). `clients`: "process" or
    "inline".

    A real flow (the IVR runner) plugs in as `handler_factory`; the clients answer any command (see
    agi_client.reply_to: GET DATA gets "1", GET VARIABLE a name, RECORD FILE a '#')."""
    figures = AgiBenchFigures(load, rounds, clients)
    agi = AgiServer("127.0.0.1", 0, handler_factory())
    baseline_steps = [len(_STEP_BYTES)]
    baseline = await asyncio.start_server(
        lambda r, w: _baseline_call(r, w, baseline_steps[0]), "127.0.0.1", 0, backlog=agi.backlog
    )
    client = ClientProcess() if clients == "process" else None
    timeout = 60.0 + load.calls / 100 + (load.spread_ms + load.calls_per_slot * load.think_ms * 30) / 1000
    try:
        await agi.start()
        for n in range(rounds):
            result, cpu, pauses = await _round(client, agi.port, load, n * load.calls, timeout)
            figures.agi.add(result, cpu, pauses)
            figures.problems += [f"AGI: {e}" for e in result.errors]
            baseline_steps[0] = max(1, round(result.commands / max(1, result.sessions - result.failed)))
            port = baseline.sockets[0].getsockname()[1]
            result, cpu, pauses = await _round(client, port, load, n * load.calls, timeout)
            figures.baseline.add(result, cpu, pauses)
            figures.problems += [f"baseline: {e}" for e in result.errors]
    finally:
        if client is not None:
            client.close()
        baseline.close()
        await agi.close()
    stats = agi.stats
    if stats.handler_errors or stats.sessions_hung_up or stats.rejected_total:
        figures.problems.append(f"AGI server: {stats.handler_errors} flow errors, {stats.sessions_hung_up} hangups, "
                                f"{stats.rejected_total} rejected connections")
    return figures


async def _round(
    client: ClientProcess | None, port: int, load: Load, first: int, timeout: float
) -> tuple[RoundResult, float, list[float]]:
    pauses: list[float] = []
    started: list[float] = []

    def note_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append(time.perf_counter() - started[0])

    gc.collect()  # each side starts from the same heap; a collection inside the round is still shown
    gc.callbacks.append(note_gc)
    cpu = time.process_time()
    try:
        if client is None:
            result = await asyncio.wait_for(run_round(port, load, first=first), timeout)
        else:
            result = await client.run_round(port, load, first=first, timeout=timeout)
    finally:
        gc.callbacks.remove(note_gc)
    return result, time.process_time() - cpu, pauses


async def _baseline_call(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, steps: int) -> None:
    try:
        await reader.readuntil(b"\n\n")
        for n in range(steps):
            writer.write(_STEP_BYTES[n % len(_STEP_BYTES)])
            await writer.drain()
            if not await reader.readline():
                return
    except (OSError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccserver bench agi", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sessions", type=int, default=500, help="concurrent calls per round (500)")
    p.add_argument("--steps", type=int, default=10, help="AGI commands per call (10)")
    p.add_argument("--rounds", type=int, default=3, help="rounds per phase, each AGI then baseline (3)")
    p.add_argument("--think-ms", type=float, nargs="+", default=[0.0, 100.0],
                   help="one phase per value: the client's delay before each reply, 0 = at once (0 100)")
    p.add_argument("--clients", choices=("process", "inline"), default="process",
                   help="place the calls from a child process (default) or from the server's own loop")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, not only on errors")
    return p


def agi_bench(options: list[str]) -> int:
    args = _parser().parse_args(options)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    phases: list[AgiBenchFigures] = []
    try:
        asyncio.run(_phases(args, phases))
    except TimeoutError:
        print(f"ccserver bench agi: gave up after {_TOTAL_BOUND_S:.0f} s", file=sys.stderr)
        return 1
    print(report(phases))
    missed = any(not f.overhead_p99 < TARGET_OVERHEAD_P99_S for f in phases)
    failed = any(f.problems or f.agi.failed or f.baseline.failed for f in phases)
    return 1 if failed or (args.strict and missed) else 0


async def _phases(args: argparse.Namespace, phases: list[AgiBenchFigures]) -> None:
    async with asyncio.timeout(_TOTAL_BOUND_S):
        for think_ms in args.think_ms:
            load = bench_load(args.sessions, think_ms)
            print(f"{_answered(load)}: {args.rounds} rounds of {load.calls} calls ...", flush=True)
            phases.append(await run_agi_bench(bench_flow(args.steps), load, rounds=args.rounds, clients=args.clients))


def report(phases: list[AgiBenchFigures]) -> str:
    first = phases[0]
    where = "a child process" if first.clients == "process" else "the server's own loop (CPU figures include them)"
    per_call = first.agi.commands / max(1, first.agi.sessions - first.agi.failed)
    paced = [f.load for f in phases if f.load.think_ms]

    def row(name: str, value: Callable[[SideFigures], str]) -> str:
        return f"{name:30}" + "".join(f"{value(f.baseline):>12}{value(f.agi):>12}" for f in phases)

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.2f}"

    lines = [
        "",
        f"ccserver bench agi: up to {first.load.slots} calls in flight, {per_call:.0f} commands a call, "
        f"{first.rounds} rounds, calls placed from {where}",
        *(f"  (paced: {p.slots} slots x {p.calls_per_slot} calls back to back, starts spread over "
          f"{p.spread_ms / 1000:g} s)" for p in paced[:1]),
        f"{'':30}" + "".join(f"{_answered(f.load):>24}" for f in phases),
        f"{'':30}" + f"{'baseline':>12}{'AGI':>12}" * len(phases),
        row("calls/s", lambda s: f"{s.per_s(s.sessions):,.0f}"),
        row("commands/s", lambda s: f"{s.per_s(s.commands):,.0f}"),
        row("turn-around p50, ms", lambda s: ms(s.p(0.5))),
        row("turn-around p99, ms", lambda s: ms(s.p(0.99))),
        row("call set-up p99, ms", lambda s: ms(percentile(s.setup, 0.99))),
        row("server CPU per command, us", lambda s: f"{s.cpu_seconds / max(1, s.commands) * 1e6:.1f}"),
        row("server CPU busy, %", lambda s: f"{s.cpu_seconds / max(1e-9, s.seconds) * 100:.0f}"),
        row("client CPU busy, %", lambda s: f"{s.client_cpu_seconds / max(1e-9, s.seconds) * 100:.0f}"),
        row("server GC: runs / longest, ms", lambda s: f"{len(s.gc_pauses)} / {ms(max(s.gc_pauses, default=0))}"),
        row("failed calls", lambda s: f"{s.failed}"),
        f"{'overhead p99 (AGI - baseline)':30}" + "".join(
            f"{ms(f.overhead_p99) + ' ms':>17}{'ok' if f.overhead_p99 < TARGET_OVERHEAD_P99_S else 'MISSED':>7}"
            for f in phases) + "   target < 2 ms",
    ]
    for f in phases:
        if f.problems:
            lines += [f"problems ({_answered(f.load)}):", *(f"  {p}" for p in f.problems[:20])]
    return "\n".join(lines)


def _answered(load: Load) -> str:
    return f"answered after ~{load.think_ms:g} ms" if load.think_ms else "answered at once"
