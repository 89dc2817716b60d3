"""ERROR and WARNING lines of a scratch Asterisk's log, attributed to the repo file (and line) they are about.

Examples of what Asterisk 22 writes while loading config (paths shortened):
    WARNING config.c: parse error: no closing ']', line 2 of /var/tmp/ccserver-check-9/etc/dialplans/x.conf
    WARNING pbx_config.c: No closing parenthesis found? 'Goto(x,s,1' at line 9 of /.../dialplans/inbound.conf
    ERROR config_options.c: Could not find option suitable for category 'transport-udp' named 'bogus' at
          line 10 of                                              (sic: no file name)
    ERROR res_sorcery_config.c: Could not create an object of type 'transport' with id 'transport-udp' from
          configuration file 'pjsip.conf'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ccserver.ops.report import Problem

_ENTRY = re.compile(r"^\[[^\]]*\]\s+(?P<level>ERROR|WARNING)\[[^\]]*\]\s+(?P<source>\S+?):\s+(?P<text>.*)$")
_LINE_OF = re.compile(r",?\s*(?:at )?line (?P<line>\d+) of ?(?P<path>\S*)")
_CONF_FILE = re.compile(r"configuration file '(?P<path>[^']+)'")
_ANY_CONF = re.compile(r"(?P<path>/?[\w./-]+\.conf)\b")
_CATEGORY = re.compile(r"(?:category|with id|object) '(?P<name>[^']+)'")
_NOT_CREATED = re.compile(r"Could not create an object of type '(?P<type>[^']+)' with id '(?P<id>[^']+)'")
_MODULE = re.compile(r"(?P<module>[\w-]+\.so)\b")


@dataclass
class LogContext:
    """What the parser needs to put a message on a repo file and line."""

    etc_prefix: str  # the scratch etc dir as Asterisk printed it, e.g. /var/tmp/ccserver-check-9/etc/
    to_project: Callable[[str], str]  # etc-relative path -> repo path
    sections: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (etc_rel, header line)
    modules: dict[str, int] = field(default_factory=dict)  # module -> its line in modules.conf
    probes: dict[str, tuple[str, int]] = field(default_factory=dict)  # probe id -> (template, its line)


@dataclass
class LogFindings:
    problems: list[Problem] = field(default_factory=list)
    failed_objects: set[str] = field(default_factory=set)  # pjsip object ids Asterisk refused


def _etc_rel(path: str, ctx: LogContext) -> str:
    return path[len(ctx.etc_prefix) :] if path.startswith(ctx.etc_prefix) else path.lstrip("/")


def _where(text: str, ctx: LogContext) -> tuple[str | None, int | None]:
    """(repo file, line) a message is about, as far as it tells."""
    line_of = _LINE_OF.search(text)
    path = None
    if line_of and line_of["path"]:
        path = line_of["path"]
    elif conf := _CONF_FILE.search(text) or _ANY_CONF.search(text):
        path = conf["path"]
    line = int(line_of["line"]) if line_of else None
    category = _CATEGORY.search(text)
    if category and category["name"] in ctx.probes:
        template, template_line = ctx.probes[category["name"]]
        return ctx.to_project("pjsip.conf"), line or template_line
    if category and category["name"] in ctx.sections:
        etc_rel, header = ctx.sections[category["name"]]
        return ctx.to_project(path and _etc_rel(path, ctx) or etc_rel), line or header
    if path:
        return ctx.to_project(_etc_rel(path, ctx)), line
    module = _MODULE.search(text)
    if module and module["module"] in ctx.modules:
        return ctx.to_project("modules.conf"), ctx.modules[module["module"]]
    return None, line


def _clean(text: str, ctx: LogContext) -> str:
    text = _LINE_OF.sub("", text).strip()
    for probe_id, (template, _) in ctx.probes.items():
        text = text.replace(f"'{probe_id}'", f"'{probe_id}' (a test object built from template [{template}])")
    return text


def parse_log(log_text: str, ctx: LogContext) -> LogFindings:
    findings = LogFindings()
    for raw in log_text.splitlines():
        entry = _ENTRY.match(raw)
        if not entry:
            continue
        text = entry["text"]
        not_created = _NOT_CREATED.search(text)
        if not_created:
            findings.failed_objects.add(not_created["id"])
        file, line = _where(text, ctx)
        message = f"{_clean(text, ctx)} [Asterisk {entry['level'].lower()}, {entry['source']}]"
        findings.problems.append(Problem(file or "asterisk-conf", line, message))
    return findings
