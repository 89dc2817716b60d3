"""Rules of our own about the config files, checked without Asterisk."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from pathlib import Path

from ccserver.ops.conffile import last_directive_line, parse_conf
from ccserver.ops.layout import ConfigLayout, project_layout
from ccserver.ops.report import CheckResult, Problem

# CONTRACT.md: a site adds its own trunks and contexts in these, without editing ours.
REQUIRED_LAST_LINES = {
    "extensions.conf": "#tryinclude extensions_custom.conf",
    "pjsip.conf": "#tryinclude pjsip_custom.conf",
}


def _include_target(target: str) -> str:
    return (
        target.removeprefix("/etc/asterisk/").lstrip("/") if target.startswith("/etc/asterisk/") else target
    )


def reachable_from(layout: ConfigLayout, start: str) -> set[str]:
    """Files `start` pulls in through `#include` / `#tryinclude`, transitively (and itself)."""
    seen: set[str] = set()
    pending = [start]
    while pending:
        current = pending.pop()
        if current in seen or current not in layout.files:
            continue
        seen.add(current)
        pending += [_include_target(i.target) for i in parse_conf(layout.text(current)).includes]
    return seen


def missing_includes(layout: ConfigLayout) -> list[Problem]:
    problems = []
    for rel in sorted(layout.files):
        for include in parse_conf(layout.text(rel)).includes:
            if not include.optional and _include_target(include.target) not in layout.files:
                problems.append(
                    Problem(
                        layout.project_path(rel), include.line, f"#include {include.target}: no such file"
                    )
                )
    return problems


def dialplans_included(layout: ConfigLayout) -> list[Problem]:
    reachable = reachable_from(layout, "extensions.conf")
    return [
        Problem(
            layout.project_path(rel),
            None,
            f"not included by asterisk-conf/extensions.conf: add `#include {rel}` there",
        )
        for rel in sorted(layout.files)
        if rel.startswith("dialplans/") and rel.endswith(".conf") and rel not in reachable
    ]


def custom_tryincludes_last(layout: ConfigLayout) -> list[Problem]:
    problems = []
    for rel, expected in REQUIRED_LAST_LINES.items():
        if rel not in layout.files:
            problems.append(Problem(layout.project_path(rel), None, "missing"))
            continue
        number, last = last_directive_line(layout.text(rel))
        if " ".join(last.split()) != expected:
            problems.append(
                Problem(layout.project_path(rel), number or None, f"must end with `{expected}` (CONTRACT.md)")
            )
    return problems


def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def manager_on_loopback(layout: ConfigLayout) -> list[Problem]:
    where = layout.project_path("manager.conf")
    general = parse_conf(layout.text("manager.conf")).named("general")
    if not general:
        return [Problem(where, None, "no [general] section: AMI would listen on 0.0.0.0")]
    bindaddrs = [o for section in general for o in section.options if o.key == "bindaddr"]
    bindaddr = bindaddrs[-1] if bindaddrs else None  # the last one wins
    if bindaddr is None:
        return [
            Problem(
                where, general[0].line, "no bindaddr: AMI would listen on 0.0.0.0; set bindaddr = 127.0.0.1"
            )
        ]
    if not _is_loopback(bindaddr.value):
        return [Problem(where, bindaddr.line, f"AMI must listen on loopback only, not {bindaddr.value}")]
    return []


STATIC_RULES: list[Callable[[ConfigLayout], list[Problem]]] = [
    missing_includes,
    dialplans_included,
    custom_tryincludes_last,
    manager_on_loopback,
]


def check(project_dir: Path) -> CheckResult:
    began = time.monotonic()
    layout = project_layout(project_dir)
    result = CheckResult("static", problems=[p for rule in STATIC_RULES for p in rule(layout)])
    result.seconds = time.monotonic() - began
    return result
