"""The ACD's configuration file for `ccserver config check`: `dialplans/acd.yaml`, checked as
`ccserver acd load` would read it (skills, reason codes, queues with escalation, agents)."""

from __future__ import annotations

import time
from pathlib import Path

from ccserver.crm.acd_file import check_acd_file
from ccserver.ops.report import CheckResult, Problem

ACD_FILE = Path("dialplans/acd.yaml")


def check(project_dir: Path) -> CheckResult:
    began = time.monotonic()
    result = CheckResult("acd")
    path = project_dir / ACD_FILE
    if not path.is_file():
        result.notes.append(f"no {ACD_FILE}: no ACD configuration file to check")
    else:
        result.problems += [Problem(p.file, p.line, p.message) for p in check_acd_file(path, root=project_dir)]
    result.seconds = time.monotonic() - began
    return result
