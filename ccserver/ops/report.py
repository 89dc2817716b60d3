"""Problems found by `ccserver config check`, printed as `file:line: message`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    file: str  # relative to the project dir, e.g. `dialplans/inbound.conf`
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass
class CheckResult:
    """What one checker found. Notes are information (e.g. a part skipped), never a failure."""

    name: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    kept = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            kept.append(problem)
    return kept


def render(results: list[CheckResult]) -> tuple[list[str], list[str]]:
    """(problem lines for stdout, note and summary lines for stderr)."""
    problem_lines = [str(p) for r in results for p in unique(r.problems)]
    notes = [f"note: {r.name}: {note}" for r in results for note in r.notes]
    counts = ", ".join(f"{r.name} {len(unique(r.problems))} ({r.seconds:.1f} s)" for r in results)
    total = len(problem_lines)
    verdict = "clean" if total == 0 else f"{total} problem{'s' if total != 1 else ''}"
    return problem_lines, [*notes, f"config check: {verdict} — {counts}"]
