"""Load the project's config into a scratch Asterisk 22 (in the sandbox's chroot) and ask it what loaded.

Over AMI: `dialplan show` (every context we define is there), `pjsip show endpoints|aors|auths|
transports` (every object, and one object built from each template, loaded), `module show` (every
module modules.conf names is running). Plus every ERROR/WARNING Asterisk logged while loading.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from ccserver.ops import scratch as scratch_asterisk
from ccserver.ops.asterisk_log import LogContext, LogFindings, parse_log
from ccserver.ops.conffile import parse_conf
from ccserver.ops.layout import ConfigLayout, project_layout
from ccserver.ops.report import CheckResult, Problem
from ccserver.ops.static_checks import reachable_from
from ccserver.sandbox.ami import AmiClient, AmiError, run_blocking
from ccserver.sandbox.mounts import mounts_under, unmount_all
from ccserver.sandbox.paths import CHROOT_CONF, SandboxError, sandbox_paths
from ccserver.sandbox.process import AmiLogin, find_asterisk_pids
from ccserver.sandbox.provision import is_provisioned

COMMANDS = {
    "dialplan": "dialplan show",
    "modules": "module show",
    "endpoint": "pjsip show endpoints",
    "aor": "pjsip show aors",
    "auth": "pjsip show auths",
    "transport": "pjsip show transports",
}
_CONTEXT = re.compile(r"^\[ Context '([^']+)' created by")
_PJSIP_ROW = {
    "endpoint": re.compile(r"^\s*Endpoint:\s+([^<\s/][^\s/]*)"),
    "aor": re.compile(r"^\s*Aor:\s+([^<\s][^\s]*)"),
    "auth": re.compile(r"^\s*Auth:\s+([^<\s/][^\s/]*)"),
    "transport": re.compile(r"^\s*Transport:\s+([^<\s][^\s]*)"),
}
NOT_SECTIONS = {"general", "globals"}


def defined_contexts(layout: ConfigLayout) -> dict[str, tuple[str, int]]:
    """Contexts our dialplan files define (templates excluded): name -> (etc path, line)."""
    contexts: dict[str, tuple[str, int]] = {}
    for rel in sorted(reachable_from(layout, "extensions.conf")):
        for section in parse_conf(layout.text(rel)).sections:
            if section.name not in NOT_SECTIONS and not section.is_template:
                contexts.setdefault(section.name, (rel, section.line))
    return contexts


def defined_pjsip_objects(layout: ConfigLayout) -> dict[tuple[str, str], int]:
    """(type, id) -> header line, for pjsip.conf's objects (templates are probed separately)."""
    conf = parse_conf(layout.text("pjsip.conf"))
    objects = {}
    for section in conf.sections:
        kind = conf.resolve(section, "type")
        if not section.is_template and kind is not None and kind.value in _PJSIP_ROW:
            objects.setdefault((kind.value, section.name), section.line)
    return objects


def module_lines(layout: ConfigLayout) -> dict[str, int]:
    conf = parse_conf(layout.text("modules.conf"))
    return {
        o.value: o.line
        for s in conf.named("modules")
        for o in s.options
        if o.key in ("load", "require", "preload", "preload-require")
    }


# `module show` rows: name, description, use count, status, support level (a long name eats the gap).
_MODULE_ROW = re.compile(r"^(?P<module>\S+\.so)\s.*\s-?\d+\s+(?P<status>\S.*?)\s+\S+\s*$")


def running_modules(output: str) -> set[str]:
    rows = (_MODULE_ROW.match(line.strip()) for line in output.splitlines())
    return {row["module"] for row in rows if row and row["status"] == "Running"}


def listed_objects(kind: str, output: str) -> set[str]:
    pattern = _PJSIP_ROW[kind]
    return {m.group(1) for line in output.splitlines() if (m := pattern.match(line))}


async def _query(login: AmiLogin) -> dict[str, str]:
    async with await AmiClient.login(login.host, login.port, login.username, login.secret) as client:
        return {name: await client.command(command) for name, command in COMMANDS.items()}


async def _try_login(login: AmiLogin) -> str | None:
    try:
        client = await AmiClient.login(login.host, login.port, login.username, login.secret, events="off")
    except (AmiError, OSError, TimeoutError) as exc:
        return str(exc) or type(exc).__name__
    await client.close()
    return None


def compare(
    layout: ConfigLayout, scratch: scratch_asterisk.ScratchAsterisk, outputs: dict[str, str], log: LogFindings
) -> list[Problem]:
    """What we define but Asterisk did not load (unless the log already said why)."""
    problems = []
    explained = {(p.file, p.line) for p in log.problems}  # the log already said what is wrong there
    loaded_contexts = {m.group(1) for line in outputs["dialplan"].splitlines() if (m := _CONTEXT.match(line))}
    for name, (rel, line) in defined_contexts(layout).items():
        if name not in loaded_contexts and (layout.project_path(rel), line) not in explained:
            problems.append(Problem(layout.project_path(rel), line, f"context [{name}] did not load"))
    running = running_modules(outputs["modules"])
    modules_conf = layout.project_path("modules.conf")
    for module, line in module_lines(layout).items():
        if module not in running and (modules_conf, line) not in explained:
            problems.append(Problem(modules_conf, line, f"module {module} is not running"))
    expected = dict(defined_pjsip_objects(layout))
    expected |= {(p.object_type, p.object_id): p.template_line for p in scratch.probes}
    probe_templates = {p.object_id: p.template for p in scratch.probes}
    for (kind, object_id), line in sorted(expected.items()):
        if object_id in log.failed_objects or object_id in listed_objects(kind, outputs[kind]):
            continue
        template = probe_templates.get(object_id)
        what = f"a {kind} built from template [{template}]" if template else f"{kind} [{object_id}]"
        problems.append(Problem(layout.project_path("pjsip.conf"), line, f"{what} did not load"))
    return problems


def _log_context(layout: ConfigLayout, scratch: scratch_asterisk.ScratchAsterisk) -> LogContext:
    sections: dict[str, tuple[str, int]] = {}
    for rel in sorted(layout.files):
        for section in parse_conf(layout.text(rel)).sections:
            sections.setdefault(section.name, (rel, section.line))
    return LogContext(
        etc_prefix=f"{scratch.chroot_dir}/etc/",
        to_project=layout.project_path,
        sections=sections,
        modules=module_lines(layout),
        probes={p.object_id: (p.template, p.template_line) for p in scratch.probes},
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _skip(result: CheckResult, why: str) -> CheckResult:
    result.notes.append(f"skipped loading the files into Asterisk: {why}")
    return result


def check(project_dir: Path) -> CheckResult:
    began = time.monotonic()
    result = CheckResult("asterisk")
    paths = sandbox_paths()
    if not is_provisioned(paths):
        return _skip(result, "the sandbox is not provisioned (run `ccserver sandbox up` once)")
    if os.geteuid() != 0:
        return _skip(result, "it needs root (chroot); run as root or pass --no-asterisk")
    layout = project_layout(project_dir)
    scratch_asterisk.remove_stale(paths.rootfs)
    proc_was_mounted = bool(mounts_under(paths.rootfs / "proc"))
    scratch = scratch_asterisk.prepare(paths.rootfs, layout, os.getpid())
    outputs: dict[str, str] | None = None
    login_error = None
    try:
        scratch_asterisk.start(scratch)
        outputs = run_blocking(_query(scratch.login()))
        if scratch.ccserver_user:
            login_error = run_blocking(_try_login(scratch.login("ccserver")))
    except (SandboxError, AmiError, OSError, TimeoutError) as exc:
        result.problems.append(Problem("asterisk-conf", None, f"the scratch Asterisk failed: {exc}"))
    finally:
        log_text = _read(scratch.log)
        scratch_asterisk.remove(scratch)
        if not proc_was_mounted and not find_asterisk_pids(paths.rootfs, CHROOT_CONF):
            unmount_all(paths.rootfs)  # leave the chroot as we found it
    findings = parse_log(log_text, _log_context(layout, scratch))
    result.problems[:0] = findings.problems
    if outputs is not None:
        result.problems += compare(layout, scratch, outputs, findings)
    if login_error is not None:
        rights = parse_conf(layout.text("manager.conf")).named("ccserver-rights")
        line = rights[0].line if rights else None
        message = f"an AMI user built from [ccserver-rights] cannot log in: {login_error}"
        result.problems.append(Problem(layout.project_path("manager.conf"), line, message))
    result.seconds = time.monotonic() - began
    return result
