"""The sandbox's Python API: what `ccserver sandbox ...`, the test suite and the admin API call.

info = ensure_sandbox_up()           # provision if needed, install config, start, FullyBooted
os.environ["CCSERVER_AMI_URL"] = info.ami_url
report = await reload_switch()       # push changed asterisk-conf/, dialplans/, ivr_prompts/; keep calls
restart_asterisk()                   # stop + start (restart tests)
asterisk_cli("core show channels")
sandbox_down()
"""

from __future__ import annotations

import asyncio
import fcntl
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from ccserver.sandbox.ami import AmiClient, AmiError, run_blocking
from ccserver.sandbox.host import require_root
from ccserver.sandbox.install import ConfigChanges, install_config, install_moh, install_prompts
from ccserver.sandbox.mounts import unmount_all
from ccserver.sandbox.paths import (
    AMI_HOST,
    AMI_PORT,
    AMI_USER,
    CHROOT_CONF,
    SandboxError,
    SandboxPaths,
    find_project_dir,
    sandbox_ami_url,
    sandbox_paths,
    sandbox_secret,
)
from ccserver.sandbox.process import (
    AmiLogin,
    asterisk_rx,
    find_asterisk_pids,
    start_asterisk,
    stop_asterisk,
    wait_fully_booted,
)
from ccserver.sandbox.provision import is_provisioned, provision
from ccserver.sandbox.reload import RESTART_FILES, ReloadReport, apply_reload, plan_reload


@dataclass(frozen=True)
class SandboxInfo:
    ami_url: str
    ami: AmiLogin
    root: Path
    etc_dir: Path  # host path of the chroot's /etc/asterisk
    log_file: Path
    pid: int
    started: bool  # False when an already running Asterisk was reused
    changes: ConfigChanges
    boot_seconds: float


@dataclass(frozen=True)
class SandboxStatus:
    provisioned: bool
    pids: list[int]
    ami_ok: bool
    version: str

    @property
    def running(self) -> bool:
        return bool(self.pids)


def _login() -> AmiLogin:
    return AmiLogin(AMI_HOST, AMI_PORT, AMI_USER, sandbox_secret())


@contextmanager
def _locked(paths: SandboxPaths) -> Iterator[None]:
    """One sandbox operation at a time (parallel test sessions share the cache)."""
    paths.cache_dir.mkdir(parents=True, exist_ok=True)
    with (paths.cache_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _install_all(paths: SandboxPaths, project_dir: Path) -> ConfigChanges:
    changes = install_config(paths, project_dir, sandbox_secret())
    install_moh(paths)
    install_prompts(paths, project_dir)
    return changes


def _start(paths: SandboxPaths, project_dir: Path) -> SandboxInfo:
    changes = _install_all(paths, project_dir)
    began = time.monotonic()
    paths.log_file.write_text("")
    pid = start_asterisk(paths.rootfs, CHROOT_CONF, paths.log_file)
    paths.pid_file.write_text(f"{pid}\n")
    wait_fully_booted(pid, _login(), paths.log_file)
    return _info(paths, pid, started=True, changes=changes, boot_seconds=time.monotonic() - began)


def _info(
    paths: SandboxPaths, pid: int, *, started: bool, changes: ConfigChanges, boot_seconds: float
) -> SandboxInfo:
    login = _login()
    return SandboxInfo(
        ami_url=sandbox_ami_url(login.secret),
        ami=login,
        root=paths.rootfs,
        etc_dir=paths.etc_dir,
        log_file=paths.log_file,
        pid=pid,
        started=started,
        changes=changes,
        boot_seconds=boot_seconds,
    )


def _stop(paths: SandboxPaths, graceful_timeout: float) -> bool:
    was_running = stop_asterisk(paths.rootfs, CHROOT_CONF, graceful_timeout)
    paths.pid_file.unlink(missing_ok=True)
    return was_running


def ensure_sandbox_up(project_dir: Path | str | None = None) -> SandboxInfo:
    """Provision (first time or changed recipe), install the repo's config, start Asterisk, wait FullyBooted.

    Already running: pushes changed config files and reloads them (restarting only when a file read at
    start-up changed), so calling it from every test session is cheap.
    """
    require_root()
    project = find_project_dir(project_dir)
    paths = sandbox_paths()
    with _locked(paths):
        if not is_provisioned(paths):
            if paths.rootfs.exists():
                _stop(paths, graceful_timeout=5)
            provision(paths)
        pids = find_asterisk_pids(paths.rootfs, CHROOT_CONF)
        if not pids:
            return _start(paths, project)
        changes = _install_all(paths, project)
        if plan_reload(changes).needs_restart:
            _stop(paths, graceful_timeout=5)
            return _start(paths, project)
        try:
            if changes.any:
                run_blocking(_reload_running(changes))
            wait_fully_booted(pids[0], _login(), paths.log_file, timeout=10)
        except (SandboxError, AmiError, OSError, TimeoutError):
            # Running but not answering AMI as we expect (hung, or started by hand with other
            # credentials): start it afresh.
            _stop(paths, graceful_timeout=5)
            return _start(paths, project)
        return _info(paths, pids[0], started=False, changes=changes, boot_seconds=0.0)


def restart_asterisk(project_dir: Path | str | None = None, graceful_timeout: float = 0.0) -> SandboxInfo:
    """Stop the sandbox's Asterisk (hanging up calls after `graceful_timeout` s) and start it again."""
    require_root()
    project = find_project_dir(project_dir)
    paths = sandbox_paths()
    with _locked(paths):
        if not is_provisioned(paths):
            raise SandboxError("sandbox not provisioned: run `ccserver sandbox up` first")
        _stop(paths, graceful_timeout)
        return _start(paths, project)


def sandbox_down(graceful_timeout: float = 10.0) -> bool:
    """Stop Asterisk (waiting up to `graceful_timeout` s for calls to end) and unmount /proc."""
    require_root()
    paths = sandbox_paths()
    with _locked(paths):
        if not paths.rootfs.exists():
            return False
        was_running = _stop(paths, graceful_timeout)
        unmount_all(paths.rootfs)
        return was_running


def asterisk_cli(command: str, timeout: float = 30.0) -> str:
    """Run one Asterisk CLI command in the sandbox (`asterisk -rx`) and return its output."""
    paths = sandbox_paths()
    result = asterisk_rx(paths.rootfs, CHROOT_CONF, command, timeout=timeout)
    if result.returncode != 0:
        raise SandboxError(f"asterisk -rx {command!r} failed: {(result.stderr or result.stdout).strip()}")
    return result.stdout


async def _reload_running(changes: ConfigChanges) -> ReloadReport:
    login = _login()
    async with await AmiClient.login(login.host, login.port, login.username, login.secret) as client:
        return await apply_reload(client, changes)


async def reload_switch(project_dir: Path | str | None = None) -> ReloadReport:
    """Copy changed `asterisk-conf/` and `dialplans/` files into the running sandbox and reload them;
    render changed `ivr_prompts/` and install them (sound files need no reload).

    Calls in progress are kept. Raises SandboxError when the sandbox is not running.
    """
    project = find_project_dir(project_dir)
    paths = sandbox_paths()
    if not find_asterisk_pids(paths.rootfs, CHROOT_CONF):
        raise SandboxError("sandbox Asterisk not running: run `ccserver sandbox up`")
    # Files read only at start-up stay as they were, so `sandbox up` still sees them changed and restarts.
    changes = install_config(paths, project, sandbox_secret(), hold_back=RESTART_FILES)
    prompts = await asyncio.to_thread(install_prompts, paths, project)  # espeak-ng + sox: off the loop
    return replace(await _reload_running(changes), prompts=prompts)


_VERSION = re.compile(r"Asterisk (\S+)")


def sandbox_status() -> SandboxStatus:
    paths = sandbox_paths()
    provisioned = is_provisioned(paths)
    pids = find_asterisk_pids(paths.rootfs, CHROOT_CONF) if paths.rootfs.exists() else []
    version, ami_ok = "", False
    if pids:
        try:
            match = _VERSION.search(asterisk_cli("core show version", timeout=10))
            version = match.group(1) if match else ""
        except (SandboxError, OSError, subprocess.TimeoutExpired):
            version = ""
        try:
            wait_fully_booted(pids[0], _login(), paths.log_file, timeout=5)
            ami_ok = True
        except SandboxError:
            ami_ok = False
    return SandboxStatus(provisioned=provisioned, pids=pids, ami_ok=ami_ok, version=version)
