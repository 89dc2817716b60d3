"""`ccserver bench agi`: many concurrent FastAGI calls through the real IVR, beside bare AGI and raw TCP.

Each round places calls from a client process (ccserver/bench/agi_client.py, loopback only, so its
CPU is not the server's), up to `--sessions` in flight, each run to its end, against three servers
in turn:

- full IVR runner: `AgiServer` with `IvrRunner.handle`, the engine and a `FlowRegistry` loaded with
  the bench flow (ccserver/bench/agi_ivr.py: lookup, play, menu, set, collect, say, condition, play,
  route; 18 AGI commands a call). The CRM dip is in process and the journal entries are counted on
  the bus, not written (`ccserver bench ingest` measures the journal's database writes);
- bare AGI session: `AgiServer` replaying the same command lines through `AgiSession.command`, no
  flow behind them;
- raw TCP baseline: an asyncio server reading the headers up to the blank line, then writing the
  same lines and reading one reply line to each, with no AGI parsing or checking.

The client times the server's turn-around: from its reply written to the next command read (p50/p99
per command), and the call set-up (headers written to the first command). Also reported: sessions/s
and commands/s over the round, and the server process's CPU per command. Target: the full IVR's p99
turn-around at most 2 ms above the baseline's with 500 concurrent calls. One phase per `--think-ms`:

- 0, answered at once: `--sessions` calls start together and every call always waits on the
  server, so this phase shows capacity (sessions/s, CPU per command), and its turn-around is
  queueing, about (calls in flight) x (CPU per command): at 500 calls, each 4 us of extra work per
  command adds 2 ms;
- 100, paced: each reply after ~100 ms (+-50%), like a prompt playing; `--sessions` slots of 3 calls
  back to back, their starts spread over one call's length, so 500 calls are in flight without a
  connect burst: turn-around is then the server's own latency at a steady ~5,000 commands/s.

Each round starts from a collected heap (see benchmarks/README.md on garbage collection).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ccserver.asterisk.agi_server import AgiHandler, AgiServer
from ccserver.asterisk.agi_session import AgiSession
from ccserver.bench.agi_client import ClientProcess, Load, RoundResult, run_round
from ccserver.bench.agi_ivr import CALLER_KEYS, JournalCounter, bench_ivr
from ccserver.bench.harness import percentile

TARGET_OVERHEAD_P99_S = 0.002
_TOTAL_BOUND_S = 300.0
SIDES = {"ivr": "full IVR runner", "bare": "bare AGI session", "baseline": "raw TCP baseline"}  # run in this order


def replay(script: list[bytes]) -> AgiHandler:
    """The bare AGI side: `script`'s command lines through `AgiSession.command`, replies checked."""
    lines = [line.decode().rstrip("\n") for line in script]

    async def bare(session: AgiSession) -> None:
        for line in lines:
            await session.command(line)

    return bare


async def first_call_commands(flow: AgiHandler, keys: str) -> list[bytes]:
    """The command lines `flow` sends on one call, answered as the bench's calls are."""
    server = AgiServer("127.0.0.1", 0, flow)
    await server.start()
    try:
        result = await asyncio.wait_for(run_round(server.port, Load(1, keys=keys)), 10)
    finally:
        await server.close()
    if result.failed or server.stats.handler_errors or not result.first_call:
        raise RuntimeError(f"the flow failed its first call: {result.errors or server.stats}")
    return result.first_call


@dataclass
class SideFigures:
    sessions: int = 0
    failed: int = 0
    commands: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    others_cpu_seconds: float = 0.0  # every other process on the machine: the noise in the figures
    gc_pauses: list[float] = field(default_factory=list)  # the server process's garbage collections
    turnaround: list[float] = field(default_factory=list)
    setup: list[float] = field(default_factory=list)

    def add(self, result: RoundResult, cpu_seconds: float, others_cpu_seconds: float, gc_pauses: list[float]) -> None:
        self.sessions += result.sessions
        self.failed += result.failed
        self.commands += result.commands
        self.seconds += result.seconds
        self.cpu_seconds += cpu_seconds
        self.client_cpu_seconds += result.cpu_seconds
        self.others_cpu_seconds += others_cpu_seconds
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
    script: list[bytes]  # one call's command lines, as the flow sent them
    sides: dict[str, SideFigures] = field(default_factory=lambda: {name: SideFigures() for name in SIDES})
    problems: list[str] = field(default_factory=list)

    def overhead_p99(self, side: str = "ivr") -> float:
        return self.sides[side].p(0.99) - self.sides["baseline"].p(0.99)


def bench_load(sessions: int, think_ms: float, *, commands_per_call: int, keys: str = "") -> Load:
    """At once: `sessions` calls start together. Paced: `sessions` slots of 3 calls each, their starts
    spread over about one call, so `sessions` calls are in flight in the middle."""
    if not think_ms:
        return Load(sessions, keys=keys)
    return Load(sessions, calls_per_slot=3, think_ms=think_ms, spread_ms=think_ms * commands_per_call, keys=keys)


async def run_agi_bench(
    flow: AgiHandler, script: list[bytes], load: Load, *, rounds: int = 3, clients: str = "process"
) -> AgiBenchFigures:
    """Rounds of `load`, each against `AgiServer(flow)`, then `AgiServer(replay(script))`, then the raw
    TCP baseline writing `script`. `script`: what `flow` sends on a call (`first_call_commands`).
    `clients`: "process" or "inline"."""
    figures = AgiBenchFigures(load, rounds, clients, script)
    servers = {"ivr": AgiServer("127.0.0.1", 0, flow), "bare": AgiServer("127.0.0.1", 0, replay(script))}
    baseline = await asyncio.start_server(
        lambda r, w: _baseline_call(r, w, script), "127.0.0.1", 0, backlog=servers["ivr"].backlog
    )
    client = ClientProcess() if clients == "process" else None
    call_s = load.calls_per_slot * len(script) * load.think_ms * 1.5 / 1000
    timeout = 60.0 + load.calls / 100 + load.spread_ms / 1000 + call_s
    try:
        for server in servers.values():
            await server.start()
        ports = {name: server.port for name, server in servers.items()}
        ports["baseline"] = baseline.sockets[0].getsockname()[1]
        for n in range(rounds):
            for name in SIDES:
                result = await _round(client, ports[name], load, n * load.calls, timeout, figures.sides[name])
                figures.problems += [f"{SIDES[name]}: {e}" for e in result.errors]
    finally:
        if client is not None:
            client.close()
        baseline.close()
        for server in servers.values():
            await server.close()
    for name, server in servers.items():
        stats = server.stats
        if stats.handler_errors or stats.sessions_hung_up or stats.rejected_total:
            figures.problems.append(f"{SIDES[name]}: {stats.handler_errors} flow errors, {stats.sessions_hung_up} "
                                    f"hangups, {stats.rejected_total} rejected connections")
    for name, side in figures.sides.items():
        if side.failed:
            figures.problems.append(f"{SIDES[name]}: {side.failed} of {side.sessions} calls failed")
        if side.commands != (side.sessions - side.failed) * len(script):
            figures.problems.append(f"{SIDES[name]}: {side.commands} commands, not {len(script)} a call")
    return figures


async def _round(
    client: ClientProcess | None, port: int, load: Load, first: int, timeout: float, side: SideFigures
) -> RoundResult:
    pauses: list[float] = []
    started: list[float] = []

    def note_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append(time.perf_counter() - started[0])

    gc.collect()  # each side starts from the same heap; a collection inside the round is still shown
    gc.callbacks.append(note_gc)
    cpu, machine = time.process_time(), _machine_cpu_seconds()
    try:
        if client is None:
            result = await asyncio.wait_for(run_round(port, load, first=first), timeout)
        else:
            result = await client.run_round(port, load, first=first, timeout=timeout)
    finally:
        gc.callbacks.remove(note_gc)
    cpu, machine = time.process_time() - cpu, _machine_cpu_seconds() - machine
    others = machine - cpu - (result.cpu_seconds if client is not None else 0.0)  # inline: clients are in `cpu`
    side.add(result, cpu, max(0.0, others) if machine else 0.0, pauses)
    return result


def _machine_cpu_seconds() -> float:
    """CPU seconds all processes have used since boot, time stolen by other VMs included (Linux; else 0)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, stat.readline().split()[1:9])
    except (OSError, ValueError):
        return 0.0
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


async def _baseline_call(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, script: list[bytes]) -> None:
    try:
        await reader.readuntil(b"\n\n")
        for line in script:
            writer.write(line)
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
    p.add_argument("--rounds", type=int, default=2, help="rounds per phase, each IVR, bare AGI, baseline (2)")
    p.add_argument("--think-ms", type=float, nargs="+", default=[0.0, 100.0],
                   help="one phase per value: the client's delay before each reply, 0 = at once (0 100)")
    p.add_argument("--clients", choices=("process", "inline"), default="process",
                   help="place the calls from a child process (default) or from the server's own loop")
    p.add_argument("--gc-threshold", type=int, metavar="N",
                   help="the server's young-generation GC threshold (default: ccserver/runtime.py's)")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, not only on errors")
    return p


def agi_bench(options: list[str]) -> int:
    args = _parser().parse_args(options)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.gc_threshold is not None:
        gc.set_threshold(args.gc_threshold, *gc.get_threshold()[1:])
    phases: list[AgiBenchFigures] = []
    with bench_ivr() as ivr:
        try:
            asyncio.run(_phases(args, ivr.runner.handle, phases))
        except TimeoutError:
            print(f"ccserver bench agi: gave up after {_TOTAL_BOUND_S:.0f} s", file=sys.stderr)
            return 1
        problems = flow_problems(ivr.journal)
        print(report(phases))
        print(journal_summary(ivr.journal))
        print(*problems, sep="\n")
    missed = any(not f.overhead_p99() < TARGET_OVERHEAD_P99_S for f in phases)
    failed = problems or any(f.problems or any(s.failed for s in f.sides.values()) for f in phases)
    return 1 if failed or (args.strict and missed) else 0


async def _phases(args: argparse.Namespace, flow: AgiHandler, phases: list[AgiBenchFigures]) -> None:
    async with asyncio.timeout(_TOTAL_BOUND_S):
        script = await first_call_commands(flow, CALLER_KEYS)
        for think_ms in args.think_ms:
            load = bench_load(args.sessions, think_ms, commands_per_call=len(script), keys=CALLER_KEYS)
            print(f"{_answered(load)}: {args.rounds} rounds of {load.calls} calls x 3 servers ...", flush=True)
            phases.append(await run_agi_bench(flow, script, load, rounds=args.rounds, clients=args.clients))


def flow_problems(journal: JournalCounter) -> list[str]:
    """On the bench flow's path every call is handed to queue billing (the caller pressed 1)."""
    astray = {ending: n for ending, n in journal.endings.items() if ending != ("handoff", "billing")}
    return [f"full IVR: calls off the bench flow's path: {_endings(astray)}"] if astray else []


def _endings(endings: dict[tuple[str, str | None], int]) -> str:
    return ", ".join(f"{n:,} {outcome} to {queue or 'no queue'}" for (outcome, queue), n in endings.items())


def journal_summary(journal: JournalCounter) -> str:
    calls = sum(journal.endings.values())
    outcomes = _endings(journal.endings)
    return (
        f"full IVR: {calls:,} calls ({outcomes}); CRM dip in process, no database: {journal.callers['known']:,} "
        f"known callers, {journal.callers['unknown']:,} unknown;\n  {journal.entries:,} journal entries "
        f"published on the bus and counted, not written (the database side is `ccserver bench ingest`)"
    )


_COLUMNS: list[tuple[str, str, Callable[[SideFigures], str]]] = [
    ("sessions", "/s", lambda s: f"{s.per_s(s.sessions):,.0f}"),
    ("commands", "/s", lambda s: f"{s.per_s(s.commands):,.0f}"),
    ("p50", "ms", lambda s: _ms(s.p(0.5))),
    ("p99", "ms", lambda s: _ms(s.p(0.99))),
    ("set-up", "p99 ms", lambda s: _ms(percentile(s.setup, 0.99))),
    ("server", "us/cmd", lambda s: f"{s.cpu_seconds / max(1, s.commands) * 1e6:.1f}"),
    ("server", "busy %", lambda s: f"{s.cpu_seconds / max(1e-9, s.seconds) * 100:.0f}"),
    ("client", "busy %", lambda s: f"{s.client_cpu_seconds / max(1e-9, s.seconds) * 100:.0f}"),
    ("server", "GCs", lambda s: f"{len(s.gc_pauses)}"),
    ("longest", "GC ms", lambda s: _ms(max(s.gc_pauses, default=0))),
    ("others", "busy %", lambda s: f"{s.others_cpu_seconds / max(1e-9, s.seconds) * 100:.0f}"),
]


def report(phases: list[AgiBenchFigures]) -> str:
    first = phases[0]
    where = "a child process" if first.clients == "process" else "the server's own loop (CPU figures include them)"
    lines = [
        "",
        f"ccserver bench agi: up to {first.load.slots} calls in flight, {len(first.script)} AGI commands a call, "
        f"{first.rounds} rounds a phase, calls placed from {where}, server GC threshold {gc.get_threshold()[0]:,}",
        f"  one call: {_verbs(first.script)}",
        "  turn-around: the client's reply written -> the server's next command read; others busy: the CPU "
        "every other process on the machine used (when high, the tails are theirs: run again)",
    ]
    for f in phases:
        spread = f" ({f.load.calls_per_slot} back to back in each of {f.load.slots} slots, starts spread over " \
                 f"{f.load.spread_ms / 1000:g} s)" if f.load.think_ms else ""
        bare, ivr = f.overhead_p99("bare"), f.overhead_p99("ivr")
        lines += [
            "",
            f"{_answered(f.load)}: {f.load.calls} calls a round{spread}",
            f"{'':18}" + "".join(f"{top:>9}" for top, _, _ in _COLUMNS),
            f"{'':18}" + "".join(f"{bottom:>9}" for _, bottom, _ in _COLUMNS),
            *(f"{SIDES[name]:18}" + "".join(f"{value(f.sides[name]):>9}" for _, _, value in _COLUMNS)
              for name in ("baseline", "bare", "ivr")),
            f"p99 over the baseline: bare AGI {_ms(bare)} ms, full IVR {_ms(ivr)} ms: "
            f"{'ok' if ivr < TARGET_OVERHEAD_P99_S else 'MISSED'} (target: full IVR < 2 ms)",
        ]
        if f.problems:
            lines += ["problems:", *(f"  {p}" for p in f.problems[:20])]
    return "\n".join(lines)


def _verbs(script: list[bytes]) -> str:
    """`ANSWER, STREAM FILE x2, ...`: the AGI verbs (the leading upper-case words) of each line, in order."""
    verbs = [" ".join(itertools.takewhile(lambda w: w.isalpha() and w.isupper(), line.decode().split()))
             for line in script]
    runs = [(verb, len(list(same))) for verb, same in itertools.groupby(verbs)]
    return ", ".join(f"{verb} x{n}" if n > 1 else verb for verb, n in runs)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def _answered(load: Load) -> str:
    return f"answered after ~{load.think_ms:g} ms" if load.think_ms else "answered at once"
