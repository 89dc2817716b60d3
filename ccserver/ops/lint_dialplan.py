"""asterisklint (GPLv3+, run as a separate command, never imported) over our dialplan.

It reads `extensions.conf` and follows its `#include`s, so the files are staged in a temp dir laid
out like /etc/asterisk. Its messages look like `dialplans/inbound.conf:9 E_DP_GOTO_NOCONTEXT: ...`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ccserver.ops.conffile import parse_conf
from ccserver.ops.layout import ConfigLayout, project_layout
from ccserver.ops.report import CheckResult, Problem

_MESSAGE = re.compile(r"^(?P<file>\S+?):(?P<line>\d+) (?P<code>[A-Z]+_[A-Z0-9_]+): (?P<text>.*)$")
_MISSING = re.compile(r"^(?:app|function) '(?P<name>[^']+)' does not exist")

# asterisklint 0.4.3 models Asterisk 13. These applications and functions exist in Asterisk 22
# (checked with `core show applications|functions` in the sandbox) but it reports them missing.
# They are false positives only while modules.conf loads the module providing them ("" = core).
UNKNOWN_TO_ASTERISKLINT = {
    "AMD": "app_amd.so",
    "BlindTransfer": "app_blind_transfer.so",
    "Transfer": "app_transfer.so",
    "MSet": "",
    "ABS": "func_math.so",
    "MIN": "func_math.so",
    "MAX": "func_math.so",
    "DB_KEYCOUNT": "func_db.so",
    "HANGUPCAUSE": "func_hangupcause.so",
    "HANGUPCAUSE_KEYS": "func_hangupcause.so",
    "TRIM": "func_strings.so",
    "LTRIM": "func_strings.so",
    "RTRIM": "func_strings.so",
    "STRBETWEEN": "func_strings.so",
    "PJSIP_HEADERS": "res_pjsip_header_funcs.so",
}


@dataclass(frozen=True)
class LintMessage:
    file: str  # relative to /etc/asterisk
    line: int
    code: str
    text: str


def parse_output(output: str) -> tuple[list[LintMessage], list[str]]:
    """asterisklint's lines, and any other non-blank lines (a crash, say)."""
    messages, other = [], []
    for raw in output.splitlines():
        match = _MESSAGE.match(raw.strip())
        if match:
            messages.append(LintMessage(match["file"], int(match["line"]), match["code"], match["text"]))
        elif raw.strip():
            other.append(raw.strip())
    return messages, other


AUTOLOAD = "*"


def loaded_modules(modules_conf: str) -> set[str]:
    """Modules modules.conf loads; {AUTOLOAD} when it autoloads everything."""
    options = [o for s in parse_conf(modules_conf).named("modules") for o in s.options]
    if any(o.key == "autoload" and o.value.lower() in ("yes", "true", "1") for o in options):
        return {AUTOLOAD}
    return {o.value for o in options if o.key in ("load", "require", "preload", "preload-require")}


def _only_tryincludes_after(text: str, line: int) -> bool:
    rest = [r.strip() for r in text.splitlines()[line - 1 :] if r.strip()]
    return bool(rest) and all(r.startswith("#tryinclude") for r in rest)


def is_false_positive(message: LintMessage, file_text: str, modules: set[str]) -> bool:
    # Our house style writes `key = value` in [general]/[globals], as Asterisk's own samples do;
    # Asterisk strips the blanks there. (Blanks inside Set() are a different code, W_ASSIGN_SPACES.)
    if message.code == "W_WSH_VARSET":
        return True
    # A `#tryinclude` of a file that does not exist is skipped by asterisklint, which then takes the
    # blank line before it for trailing whitespace. Our files must end with such lines (CONTRACT.md).
    if message.code == "W_WSV_EOF":
        return _only_tryincludes_after(file_text, message.line)
    if message.code in ("E_APP_MISSING", "E_FUNC_MISSING"):
        missing = _MISSING.match(message.text)
        if missing and missing["name"] in UNKNOWN_TO_ASTERISKLINT:
            module = UNKNOWN_TO_ASTERISKLINT[missing["name"]]
            return module == "" or module in modules or AUTOLOAD in modules
    return False


def asterisklint_command() -> list[str] | None:
    beside_python = Path(sys.executable).parent / "asterisklint"
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("asterisklint")
    return [found] if found else None


def lint_problems(layout: ConfigLayout, output: str) -> list[Problem]:
    messages, other = parse_output(output)
    modules = loaded_modules(layout.text("modules.conf"))
    problems = [
        Problem(layout.project_path(m.file), m.line or None, f"{m.text} [asterisklint {m.code}]")
        for m in messages
        if not is_false_positive(m, layout.text(m.file), modules)
    ]
    if other:
        problems.append(Problem("asterisk-conf/extensions.conf", None, f"asterisklint: {other[-1]}"))
    return problems


def check(project_dir: Path) -> CheckResult:
    began = time.monotonic()
    result = CheckResult("asterisklint")
    command = asterisklint_command()
    if command is None:
        result.problems.append(
            Problem(
                "asterisk-conf/extensions.conf", None, "asterisklint not installed: pip install asterisklint"
            )
        )
        return result
    layout = project_layout(project_dir)
    with tempfile.TemporaryDirectory(prefix="ccserver-lint-") as tmp:
        layout.stage(Path(tmp))
        try:
            run = subprocess.run(
                [*command, "dialplan-check", "extensions.conf"],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            result.problems.append(
                Problem("asterisk-conf/extensions.conf", None, f"cannot run asterisklint: {exc}")
            )
            return result
    result.problems = lint_problems(layout, run.stdout + run.stderr)
    result.seconds = time.monotonic() - began
    return result
