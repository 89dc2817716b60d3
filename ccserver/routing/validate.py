"""Checks on a queue configuration before the engine accepts it: one message per problem."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ccserver.routing.model import MAX_LEVEL, MIN_LEVEL, STEP_ACTIONS, STRATEGIES, Queue


def validate_queues(queues: Iterable[Queue]) -> list[str]:
    queues = list(queues)
    problems: list[str] = []
    names = [q.name for q in queues]
    problems += [f"queue {name}: defined twice" for name in sorted({n for n in names if names.count(n) > 1})]
    known = set(names)
    edges: dict[str, set[str]] = {}
    for q in queues:
        where = f"queue {q.name}"
        problems += _levels(where, q.skills)
        if q.strategy not in STRATEGIES:
            problems.append(f"{where}: unknown strategy {q.strategy!r} (one of {', '.join(STRATEGIES)})")
        if not 0 <= q.sl_target_pct <= 100 or q.sl_threshold_s <= 0:
            problems.append(f"{where}: service level {q.sl_target_pct}% in {q.sl_threshold_s} s makes no sense")
        if q.wrapup_s < 0 or (q.max_wait_s is not None and q.max_wait_s <= 0):
            problems.append(f"{where}: wrap-up and max wait cannot be negative")
        if q.announce_every_s is not None and q.announce_every_s <= 0:
            problems.append(f"{where}: announce_every_s must be positive")
        targets = {q.overflow_queue} if q.overflow_queue else set()
        previous = 0.0
        for n, step in enumerate(q.escalation, 1):
            at = f"{where} step {n}"
            if step.action not in STEP_ACTIONS:
                problems.append(f"{at}: unknown action {step.action!r}")
            if step.after_s < previous:
                problems.append(f"{at}: after {step.after_s:g} s comes before the step above it")
            previous = max(previous, step.after_s)
            if step.action in ("relax_skill", "drop_skill") and not step.skill:
                problems.append(f"{at}: {step.action} needs a skill")
            level = step.min_level
            if step.action == "relax_skill" and (level is None or not MIN_LEVEL <= level <= MAX_LEVEL):
                problems.append(f"{at}: relax_skill needs min_level {MIN_LEVEL}-{MAX_LEVEL}")
            if step.action == "widen":
                problems += _levels(at, step.skills or {}) if step.skills else [f"{at}: widen needs skills"]
            if step.action == "overflow":
                target = step.queue or q.overflow_queue
                if target is None:
                    problems.append(f"{at}: overflow needs a queue (or the queue's overflow_queue)")
                else:
                    targets.add(target)
            if step.action in ("overflow", "voicemail") and n < len(q.escalation):
                problems.append(f"{at}: the call leaves the queue here, so the steps after it never apply")
        problems += [f"{where}: overflow to unknown queue {t}" for t in sorted(targets - known)]
        edges[q.name] = targets & known
    problems += _cycles(edges)
    return problems


def _levels(where: str, skills: Mapping[str, int]) -> list[str]:
    return [f"{where}: skill {skill} level {level} is not {MIN_LEVEL}-{MAX_LEVEL}"
            for skill, level in sorted(skills.items()) if not MIN_LEVEL <= level <= MAX_LEVEL]


def _cycles(edges: dict[str, set[str]]) -> list[str]:
    """Overflow must not come back to a queue a call already left (it would circle forever)."""
    problems: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            problems.append("overflow cycle: " + " -> ".join(path[path.index(name):] + [name]))
            return
        if name in done:
            return
        for target in sorted(edges.get(name, ())):
            visit(target, path + [name])
        done.add(name)

    for name in sorted(edges):
        visit(name, [])
    return problems
