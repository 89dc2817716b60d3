"""`ccserver bench routing`: the routing engine's latency per event at contact-center size, beside brute force.

A seeded population: `--agents` agents, each with 2-6 of `--skills` skills (levels 1-10; skill s00,
"general", for most of them) and English and/or Spanish; one queue per skill up to 25, needing one or
two skills at level 2-6, mixed strategies, a wrap-up, announcements every 30 s and escalation (30 s:
relax to level 1, 60 s: widen to general, 90 s: offer a callback, 180 s: overflow to the general queue,
600 s there: voicemail).

The center is filled first (every agent logs in, callers arrive until `--calls` wait), then `--events`
events are measured, drawn from a simulated day: callers arrive (5% VIP, 25% Spanish, 20% with an
extra skill from the IVR) at about the rate agents free up, so about `--calls` keep waiting; agents
answer (2% ring-no-answer, back 10 s later), talk ~2 minutes, wrap up (20% end it early), take
breaks; callers abandon (patience ~10 minutes) or take the callback offer (30%); and the engine ticks
whenever something is due (`next_due()`), as an adapter should.

The stream is recorded while it runs through the engine, then replayed, from a snapshot of the filled
center, through the same engine with the brute-force matcher (ccserver/routing/brute_force.py: every
waiting call against every available agent, after every event). Both must make the same offers,
event by event. Reported: p50/p99/max of
each event's latency (the engine call, with all its decisions and records) and events/s, overall and
by kind. Target: the engine's p99 under 1 ms. The brute-force replay stops after `--brute-seconds`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import heapq
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ccserver.bench.harness import percentile
from ccserver.routing import (
    Agent,
    EndWrapupEarly,
    EscalationStep,
    Login,
    NotReady,
    OfferCall,
    OfferCallback,
    Outcome,
    Queue,
    Ready,
    RoutingEngine,
    WaitingCall,
)
from ccserver.routing.brute_force import brute_force_match

TARGET_P99_S = 0.001
GENERAL = "s00"
TALK_S, RING_S, PATIENCE_S, BREAKS_PER_S = 120.0, 2.5, 600.0, 0.2
KINDS = {"call_arrived": "call arrives", "offer_answered": "agent answers", "offer_failed": "ring no answer",
         "call_ended": "call ends", "call_left": "caller abandons", "callback_requested": "takes callback",
         "agent_changed": "agent state", "tick": "tick (timers due)"}


def population(*, agents: int, skills: int, seed: int) -> tuple[list[Agent], list[Queue]]:
    rng = random.Random(seed)
    names = [f"s{n:02}" for n in range(skills)]
    weights = [1 / (n + 1) ** 0.7 for n in range(1, skills)]  # some skills common, most rarer
    people = []
    for n in range(agents):
        held = {s: rng.randint(1, 10) for s in rng.choices(names[1:], weights, k=rng.randint(2, 6))}
        if rng.random() < 0.7:
            held[GENERAL] = rng.randint(1, 10)
        if rng.random() < 0.9:
            held["lang:en"] = rng.randint(5, 10)
        if rng.random() < 0.3 or "lang:en" not in held:
            held["lang:es"] = rng.randint(5, 10)
        people.append(Agent(f"agent{n:05}", f"{1000 + n}", f"Agent {n}", held))
    general = Queue("general", skills={GENERAL: 1}, wrapup_s=10, max_wait_s=600, announce_every_s=30)
    queues = [general]
    for n, skill in enumerate(names[1:26]):
        needs = {skill: rng.randint(2, 6)}
        if rng.random() < 0.3:
            needs[rng.choice(names[1:])] = rng.randint(2, 4)
        queues.append(Queue(
            f"q{n:02}", skills=needs, priority=rng.choice([0, 0, 0, 1, 2]), wrapup_s=rng.choice([5, 10, 20]),
            strategy=("most_skilled", "longest_idle", "least_occupied")[n % 3], announce_every_s=30,
            escalation=(EscalationStep(30, "relax_skill", skill=skill, min_level=1),
                        EscalationStep(60, "widen", skills={GENERAL: 1}), EscalationStep(90, "offer_callback"),
                        EscalationStep(180, "overflow", queue="general")),
        ))
    return people, queues


@dataclass
class Recording:
    events: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)  # (engine method, arguments)
    offers: list[list[tuple[str, str]]] = field(default_factory=list)  # what the engine offered, per event
    measured_from: int = 0


class Center:
    """A simulated contact center around one engine: decides what happens next, records every call."""

    def __init__(self, engine: RoutingEngine, queues: list[Queue], agents: list[Agent], *, seed: int,
                 waiting: int) -> None:
        self.engine, self.rng, self.target = engine, random.Random(seed + 1), waiting
        self.queues = [q.name for q in queues if q.name != "general"]
        self.agent_ids = [a.id for a in agents]
        self.extra_skills = sorted({s for q in queues for s in q.skills if s != GENERAL})
        self.now, self._seq, self._calls = 0.0, 0, 0
        self._future: list[tuple[float, int, str, str]] = []
        self.recording = Recording()
        self.latencies: list[tuple[str, float]] = []
        self.filling = True
        self.rate = self.base_rate = len(agents) / (TALK_S + 12)  # about as fast as agents free up
        self.waiting_seen: list[int] = []

    def call(self, method: str, *args: Any) -> Outcome:
        started = time.perf_counter()
        outcome: Outcome = getattr(self.engine, method)(*args)
        took = time.perf_counter() - started
        self.recording.events.append((method, args))
        self.recording.offers.append([(o.call_id, o.agent_id) for o in outcome.offers])
        self.latencies.append((method, took))
        self._react(outcome)
        return outcome

    def fill(self) -> None:
        """Every agent logs in, then callers arrive 20 a second faster than agents free up until
        `waiting` calls wait."""
        for agent_id in self.agent_ids:
            self.call("agent_changed", agent_id, Login(ready=True), self.now)
        self._at(0.0, "arrival")
        self._at(1 / BREAKS_PER_S, "break")
        self.rate = self.base_rate + 20
        while self.engine.waiting_count < self.target:
            self.step()
        self.filling = False
        self.latencies.clear()
        self.recording.measured_from = len(self.recording.events)

    def run(self, events: int) -> None:
        while len(self.latencies) < events:
            self.step()
            self.waiting_seen.append(self.engine.waiting_count)

    def step(self) -> None:
        at, _, kind, subject = self._future[0]
        due = self.engine.next_due()
        if due is not None and due <= at:
            self.now = max(self.now, due)
            self.call("tick", self.now)
            return
        heapq.heappop(self._future)
        self.now = at
        getattr(self, f"_{kind}")(subject)

    def _at(self, at: float, kind: str, subject: str = "") -> None:
        self._seq += 1
        heapq.heappush(self._future, (at, self._seq, kind, subject))

    def _react(self, outcome: Outcome) -> None:
        rng = self.rng
        for action in outcome.actions:
            if isinstance(action, OfferCall):
                missed = rng.random() < 0.02
                self._at(self.now + (15 if missed else rng.uniform(1, 2 * RING_S)), "fail" if missed else "answer",
                         action.call_id)
            elif isinstance(action, OfferCallback) and rng.random() < 0.3:
                self._at(self.now + 5, "callback", action.call_id)
        for record in outcome.transitions:
            if record.to_state == "not_ready" and record.reason == "missed":
                self._at(self.now + 10, "ready", record.agent_id)
            elif record.to_state == "wrap_up" and rng.random() < 0.2:
                self._at(self.now + 3, "early", record.agent_id)

    def _arrival(self, _: str) -> None:
        rng = self.rng
        self._calls += 1
        call_id = f"call{self._calls:07}"
        skills = {rng.choice(self.extra_skills): rng.randint(2, 5)} if rng.random() < 0.2 else {}
        call = WaitingCall(call_id, rng.choice(self.queues), self.now, priority=10 if rng.random() < 0.05 else 0,
                           skills=skills, language="es" if rng.random() < 0.25 else "en")
        self.call("call_arrived", call, self.now)
        self._at(self.now + rng.expovariate(1 / PATIENCE_S), "abandon", call_id)
        if not self.filling:  # keep about as many waiting as when filled
            self.rate = self.base_rate * min(2.0, max(0.25, 1 + (self.target - self.engine.waiting_count) / 200))
        self._at(self.now + rng.expovariate(self.rate), "arrival")

    def _answer(self, call_id: str) -> None:
        assignment = self.engine.assignment(call_id)
        if assignment is not None and assignment.answered_at is None:
            self.call("offer_answered", call_id, self.now)
            self._at(self.now + self.rng.expovariate(1 / TALK_S), "end", call_id)

    def _fail(self, call_id: str) -> None:
        assignment = self.engine.assignment(call_id)
        if assignment is not None and assignment.answered_at is None:
            self.call("offer_failed", call_id, self.now)

    def _end(self, call_id: str) -> None:
        if self.engine.assignment(call_id) is not None:
            self.call("call_ended", call_id, self.now)

    def _abandon(self, call_id: str) -> None:
        if self.engine.is_waiting(call_id):
            self.call("call_left", call_id, self.now)

    def _callback(self, call_id: str) -> None:
        if self.engine.is_waiting(call_id):
            self.call("callback_requested", call_id, self.now)

    def _break(self, _: str) -> None:
        agent_id = self.rng.choice(self.agent_ids)
        if self.engine.status(agent_id).state == "ready":
            self.call("agent_changed", agent_id, NotReady("break"), self.now)
            self._at(self.now + self.rng.uniform(60, 300), "ready", agent_id)
        self._at(self.now + self.rng.expovariate(BREAKS_PER_S), "break")

    def _ready(self, agent_id: str) -> None:
        if self.engine.status(agent_id).state == "not_ready":
            self.call("agent_changed", agent_id, Ready(), self.now)

    def _early(self, agent_id: str) -> None:
        if self.engine.status(agent_id).state == "wrap_up":
            self.call("agent_changed", agent_id, EndWrapupEarly(), self.now)


@dataclass
class Side:
    name: str
    latencies: list[tuple[str, float]]
    gc_pauses: list[float] = field(default_factory=list)  # garbage collections while it was measured

    def of(self, kind: str | None = None) -> list[float]:
        return [took for method, took in self.latencies if kind is None or method == kind]

    def p(self, fraction: float, kind: str | None = None) -> float:
        return percentile(self.of(kind), fraction)

    @property
    def per_s(self) -> float:
        busy = sum(self.of())
        return len(self.latencies) / busy if busy else 0.0


@dataclass
class RoutingFigures:
    agents: int
    skills: int
    queues: int
    waiting: int
    engine: Side
    brute: Side
    simulated_s: float = 0.0
    offers: int = 0
    waiting_range: tuple[int, int] = (0, 0)
    replayed: int = 0  # measured events the brute force went through
    problems: list[str] = field(default_factory=list)


def run_routing_bench(*, agents: int, calls: int, skills: int, events: int, seed: int = 1,
                      brute_seconds: float = 60.0) -> RoutingFigures:
    people, queues = population(agents=agents, skills=skills, seed=seed)
    center = Center(RoutingEngine(queues=queues, agents=people), queues, people, seed=seed, waiting=calls)
    center.fill()
    started_at, start = center.now, center.engine.snapshot()
    engine_side, brute_side = Side("indexed engine", center.latencies), Side("brute force", [])
    with _gc_pauses(engine_side.gc_pauses):
        center.run(events)
    recording = center.recording
    figures = RoutingFigures(
        agents, skills, len(queues), calls, engine_side, brute_side, simulated_s=center.now - started_at,
        waiting_range=(min(center.waiting_seen), max(center.waiting_seen)),
        offers=sum(len(o) for o in recording.offers[recording.measured_from:]),
    )
    brute = RoutingEngine.from_snapshot(start, started_at, matcher=brute_force_match)
    with _gc_pauses(brute_side.gc_pauses):
        figures.problems = replay(brute, recording, brute_side.latencies, brute_seconds)
    figures.replayed = len(brute_side.latencies)
    return figures


def replay(
    engine: RoutingEngine, recording: Recording, latencies: list[tuple[str, float]], bound_s: float,
) -> list[str]:
    """The measured events through `engine` (the brute force, from the same start); stops at the first
    offer that differs from the recorded one, or after `bound_s`."""
    started = time.perf_counter()
    events = recording.events[recording.measured_from:]
    for n, ((method, args), offered) in enumerate(zip(events, recording.offers[recording.measured_from:], strict=True)):
        before = time.perf_counter()
        outcome: Outcome = getattr(engine, method)(*args)
        latencies.append((method, time.perf_counter() - before))
        made = [(o.call_id, o.agent_id) for o in outcome.offers]
        if made != offered:
            return [f"measured event {n} ({method}): brute force offered {made}, the engine {offered}"]
        if time.perf_counter() - started > bound_s:
            break
    return []


@contextlib.contextmanager
def _gc_pauses(pauses: list[float]) -> Iterator[None]:
    """Start from a collected heap; note every collection that still happens inside."""
    started: list[float] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append(time.perf_counter() - started[0])

    gc.collect()
    gc.callbacks.append(note)
    try:
        yield
    finally:
        gc.callbacks.remove(note)


def _us(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1e6:,.0f}"


def report(f: RoutingFigures) -> str:
    def row(side: Side, target: str = "") -> str:
        values = [f"{len(side.latencies):,}", f"{side.per_s:,.0f}", _us(side.p(0.5)), _us(side.p(0.99)),
                  _us(max(side.of(), default=0))]
        return f"{side.name:30}" + "".join(f"{v:>11}" for v in values) + target

    verdict = "ok" if f.engine.p(0.99) < TARGET_P99_S else "MISSED"
    replayed = "" if f.replayed == len(f.engine.latencies) else f" (the first {f.replayed:,} measured events)"
    lines = [
        "",
        f"ccserver bench routing: {f.agents:,} agents, {f.skills} skills, {f.queues} queues; "
        f"{f.waiting:,} calls waiting when measuring began",
        f"  {len(f.engine.latencies):,} events over {f.simulated_s:,.0f} s of simulated time; "
        f"{f.offers:,} offers; {f.waiting_range[0]:,}-{f.waiting_range[1]:,} calls waiting",
        f"{'':30}" + "".join(f"{h:>11}" for h in ("events", "events/s", "p50 us", "p99 us", "max us")),
        row(f.engine, f"   target p99 < {_us(TARGET_P99_S)} us: {verdict}"),
        row(f.brute, f"   (every waiting call x every free agent){replayed}"),
        "by event: count, p50 / p99 us, indexed engine | brute force",
    ]
    for method, label in KINDS.items():
        n = len(f.engine.of(method))
        if n:
            lines.append(f"  {label:20}{n:>8,}   {_us(f.engine.p(0.5, method)):>5} / {_us(f.engine.p(0.99, method)):>6}"
                         f"   | {_us(f.brute.p(0.5, method)):>6} / {_us(f.brute.p(0.99, method)):>6}")
    speedup = f.brute.p(0.99) / f.engine.p(0.99) if f.engine.p(0.99) else 0.0
    lines.append(f"p99 brute force / indexed engine: {speedup:,.0f}x; events/s: engine time only, not the simulation's")
    for side in (f.engine, f.brute):
        lines.append(f"{side.name}: {len(side.gc_pauses)} garbage collections while measured, longest "
                     f"{_us(max(side.gc_pauses, default=0))} us")
    lines.append("checks: " + ("; ".join(f.problems) if f.problems else
                               f"both made the same offers, event by event{replayed}"))
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccserver bench routing", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agents", type=int, default=2000, help="agents, all logged in (2000)")
    p.add_argument("--calls", type=int, default=1000, help="calls waiting when measuring starts, kept about so (1000)")
    p.add_argument("--skills", type=int, default=50, help="skills, of which up to 25 have a queue (50)")
    p.add_argument("--events", type=int, default=20000, help="events measured after filling the center (20000)")
    p.add_argument("--seed", type=int, default=1, help="population and simulation seed (1)")
    p.add_argument("--brute-seconds", type=float, default=30.0,
                   help="stop the brute-force replay after this long (30)")
    p.add_argument("--strict", action="store_true", help="exit 1 when the target is missed, not only on errors")
    return p


def routing_bench(options: list[str]) -> int:
    args = _parser().parse_args(options)
    if args.skills < 2 or args.agents < 1:
        print("ccserver bench routing: needs at least 1 agent and 2 skills")
        return 2
    print(f"filling the center ({args.agents:,} agents, {args.calls:,} calls waiting), then {args.events:,} "
          "events through the engine and through brute force ...", flush=True)
    figures = run_routing_bench(agents=args.agents, calls=args.calls, skills=args.skills, events=args.events,
                                seed=args.seed, brute_seconds=args.brute_seconds)
    print(report(figures))
    missed = not figures.engine.p(0.99) < TARGET_P99_S
    return 1 if figures.problems or (args.strict and missed) else 0
