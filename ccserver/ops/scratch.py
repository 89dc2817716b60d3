"""A throw-away Asterisk in the sandbox's chroot, loaded with the project's config, beside the sandbox's own.

Everything it writes lives in `/var/tmp/ccserver-check-<pid>/` inside the chroot: its own
asterisk.conf `[directories]` (etc, run = control socket, log, spool, cache, astdb), AMI on a free
loopback port, PJSIP transports on free loopback ports. Overrides are appended after the project's
lines (or replace a line in place), so line numbers in messages still match the repo's files.
"""

from __future__ import annotations

import re
import secrets
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

from ccserver.ops.conffile import parse_conf
from ccserver.ops.layout import ConfigLayout
from ccserver.sandbox.process import (
    AmiLogin,
    find_asterisk_pids,
    start_asterisk,
    stop_asterisk,
    wait_fully_booted,
)

SCRATCH_PREFIX = "/var/tmp/ccserver-check-"
CHECK_USER = "ccserver-check"
LOG_NAME = "ccserver-check.log"
PROBE_PREFIX = "ccserver-probe-"
PROBED_TYPES = ("endpoint", "aor", "auth")
_BIND = re.compile(r"^(\s*bind\s*=>?\s*)(\S+)(.*)$")


def free_port() -> int:
    """A loopback port free for both TCP and UDP right now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


@dataclass(frozen=True)
class Probe:
    """An object appended to pjsip.conf so Asterisk validates a template nothing else instantiates."""

    object_id: str
    object_type: str
    template: str
    template_line: int


@dataclass
class ScratchAsterisk:
    root: Path  # the chroot
    chroot_dir: str  # e.g. /var/tmp/ccserver-check-123
    ami_port: int
    secret: str
    probes: list[Probe] = field(default_factory=list)
    ccserver_user: bool = False  # a `[ccserver](ccserver-rights)` AMI user was added, as sites do
    pid: int | None = None

    @property
    def host_dir(self) -> Path:
        return self.root / self.chroot_dir.lstrip("/")

    @property
    def etc(self) -> Path:
        return self.host_dir / "etc"

    @property
    def conf(self) -> str:
        return f"{self.chroot_dir}/etc/asterisk.conf"

    @property
    def log(self) -> Path:
        return self.host_dir / "log" / LOG_NAME

    @property
    def console_log(self) -> Path:
        return self.host_dir / "console.log"

    def login(self, username: str = CHECK_USER) -> AmiLogin:
        return AmiLogin("127.0.0.1", self.ami_port, username, self.secret)


def _append(path: Path, block: str) -> None:
    with path.open("a") as out:
        out.write(f"\n\n; --- ccserver config check (scratch only) ---\n{block}")


def rewrite_transport_binds(pjsip_conf: str, port_for: dict[str, int]) -> str:
    """Point every transport's `bind` at 127.0.0.1:<its free port>, keeping the line count."""
    conf = parse_conf(pjsip_conf)
    lines = pjsip_conf.splitlines(keepends=True)
    for section in conf.sections:
        bind = section.get("bind")
        if bind is None or section.name not in port_for:
            continue
        match = _BIND.match(lines[bind.line - 1].rstrip("\n"))
        if match:
            lines[bind.line - 1] = f"{match[1]}127.0.0.1:{port_for[section.name]}\n"
    return "".join(lines)


def template_probes(pjsip_conf: str) -> list[Probe]:
    conf = parse_conf(pjsip_conf)
    probes = []
    for section in conf.sections:
        kind = conf.resolve(section, "type")
        if section.is_template and kind is not None and kind.value in PROBED_TYPES:
            probes.append(Probe(f"{PROBE_PREFIX}{section.name}", kind.value, section.name, section.line))
    return probes


def probe_block(pjsip_conf: str, probes: list[Probe]) -> str:
    conf = parse_conf(pjsip_conf)
    out = []
    for probe in probes:
        out.append(f"[{probe.object_id}]({probe.template})")
        template = conf.named(probe.template)[0]
        if probe.object_type == "auth":
            for key in ("username", "password"):
                if conf.resolve(template, key) is None:
                    out.append(f"{key} = {PROBE_PREFIX}{key}")
    return "\n".join(out) + "\n"


def _transport_names(pjsip_conf: str) -> list[str]:
    conf = parse_conf(pjsip_conf)
    return [
        s.name
        for s in conf.sections
        if not s.is_template and (kind := conf.resolve(s, "type")) is not None and kind.value == "transport"
    ]


def _prepare_pjsip(scratch: ScratchAsterisk) -> None:
    path = scratch.etc / "pjsip.conf"
    if not path.exists():
        return
    text = path.read_text(errors="replace")
    ports = {name: free_port() for name in _transport_names(text)}
    scratch.probes = template_probes(text)
    path.write_text(rewrite_transport_binds(text, ports))
    if scratch.probes:
        _append(path, probe_block(text, scratch.probes))


def _prepare_manager(scratch: ScratchAsterisk) -> None:
    _append(
        scratch.etc / "manager.conf",
        f"[general](+)\nenabled = yes\nport = {scratch.ami_port}\nbindaddr = 127.0.0.1\n",
    )
    users = [
        f"[{CHECK_USER}]",
        f"secret = {scratch.secret}",
        "deny = 0.0.0.0/0.0.0.0",
        "permit = 127.0.0.1/255.255.255.255",
        "read = all",
        "write = all",
    ]
    manager = parse_conf((scratch.etc / "manager.conf").read_text(errors="replace"))
    if any(s.is_template for s in manager.named("ccserver-rights")):
        scratch.ccserver_user = True
        users += ["", "[ccserver](ccserver-rights)", f"secret = {scratch.secret}"]
    (scratch.etc / "manager_users.conf").write_text("\n".join(users) + "\n")


def prepare(root: Path, layout: ConfigLayout, pid: int) -> ScratchAsterisk:
    """Stage the project's config into a fresh scratch dir in the chroot, with the overrides."""
    scratch = ScratchAsterisk(
        root=root, chroot_dir=f"{SCRATCH_PREFIX}{pid}", ami_port=free_port(), secret=secrets.token_hex(16)
    )
    remove(scratch)
    for sub in ("etc", "run", "log", "spool", "cache", "db"):
        (scratch.host_dir / sub).mkdir(parents=True)
    layout.stage(scratch.etc)
    directories = "\n".join(
        f"{key} => {scratch.chroot_dir}/{sub}"
        for key, sub in [
            ("astetcdir", "etc"),
            ("astrundir", "run"),
            ("astlogdir", "log"),
            ("astspooldir", "spool"),
            ("astcachedir", "cache"),
            ("astdbdir", "db"),
        ]
    )
    # A category appended with (+) adds to the first; Asterisk applies options in order: last wins.
    _append(scratch.etc / "asterisk.conf", f"[directories](+)\n{directories}\n")
    _append(scratch.etc / "logger.conf", f"[logfiles](+)\n{LOG_NAME} => notice,warning,error\n")
    if (scratch.etc / "http.conf").exists():
        _append(scratch.etc / "http.conf", "[general](+)\nenabled = no\n")
    _prepare_manager(scratch)
    _prepare_pjsip(scratch)
    return scratch


def start(scratch: ScratchAsterisk, timeout: float = 60.0) -> None:
    scratch.pid = start_asterisk(
        scratch.root, scratch.conf, scratch.console_log, run_dirs=(f"{scratch.chroot_dir}/run",)
    )
    wait_fully_booted(scratch.pid, scratch.login(), scratch.console_log, timeout=timeout)


def stop(scratch: ScratchAsterisk) -> None:
    stop_asterisk(scratch.root, scratch.conf, graceful_timeout=0.0)


def remove(scratch: ScratchAsterisk) -> None:
    if find_asterisk_pids(scratch.root, scratch.conf):
        stop(scratch)
    shutil.rmtree(scratch.host_dir, ignore_errors=True)


def remove_stale(root: Path) -> None:
    """Scratch dirs left by a check that was killed (its pid is gone)."""
    parent = root / SCRATCH_PREFIX.lstrip("/").rsplit("/", 1)[0]
    name_prefix = SCRATCH_PREFIX.rsplit("/", 1)[1]
    for entry in parent.glob(f"{name_prefix}*"):
        pid = entry.name.removeprefix(name_prefix)
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            remove(ScratchAsterisk(root, f"{SCRATCH_PREFIX}{pid}", 0, ""))
