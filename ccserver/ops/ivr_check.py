"""IVR flows for `ccserver config check`: every `dialplans/ivr/*.yaml`, checked as the set ccserver loads,
with prompts looked up in `ivr_prompts/<language>/<name>.txt`."""

from __future__ import annotations

import time
from pathlib import Path

from ccserver.ivr.flow_registry import check_flow_dir
from ccserver.ops.report import CheckResult, Problem

FLOW_DIR = Path("dialplans/ivr")
PROMPT_DIR = Path("ivr_prompts")


def check(project_dir: Path) -> CheckResult:
    began = time.monotonic()
    result = CheckResult("ivr")
    flow_dir = project_dir / FLOW_DIR
    if not flow_dir.is_dir():
        result.notes.append(f"no {FLOW_DIR}/: no IVR flows to check")
    else:
        prompt_dir = project_dir / PROMPT_DIR
        if not prompt_dir.is_dir():  # one problem, not one per prompt
            result.problems.append(Problem(str(PROMPT_DIR), None, "missing: the IVR flows' prompts are not there"))
        problems = check_flow_dir(flow_dir, prompt_dir if prompt_dir.is_dir() else None, root=project_dir)
        result.problems += [Problem(p.file, p.line, p.message) for p in problems]
    result.seconds = time.monotonic() - began
    return result
