"""`ccserver config check [--dir DIR] [--no-asterisk]`: one `file:line: message` per problem, then a summary.

Exit 0 when clean, 1 when there are problems, 2 when DIR is not a ccserver project.
New checks (IVR flows, routing config) are added to CHECKERS: a checker takes the project dir and
returns a CheckResult.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ccserver.ops import acd_check, ivr_check, lint_dialplan, live_check, static_checks
from ccserver.ops.report import CheckResult, render

Checker = Callable[[Path], CheckResult]

# Checkers that read files only.
CHECKERS: list[Checker] = [
    static_checks.check,
    lint_dialplan.check,
    ivr_check.check,
    acd_check.check,
]
# Checkers that need the sandbox's Asterisk (skipped with --no-asterisk).
LIVE_CHECKERS: list[Checker] = [
    live_check.check,
]


def run_checks(project_dir: Path, live: bool = True) -> list[CheckResult]:
    checkers = CHECKERS + (LIVE_CHECKERS if live else [])
    return [checker(project_dir) for checker in checkers]


def config_check_command(directory: str, live: bool = True) -> int:
    project_dir = Path(directory).resolve()
    if not (project_dir / "asterisk-conf" / "asterisk.conf").is_file():
        print(
            f"ccserver config check: no asterisk-conf/asterisk.conf in {project_dir}: pass --dir",
            file=sys.stderr,
        )
        return 2
    results = run_checks(project_dir, live)
    problems, summary = render(results)
    for line in problems:
        print(line)
    sys.stdout.flush()
    for line in summary:
        print(line, file=sys.stderr)
    return 1 if problems else 0
