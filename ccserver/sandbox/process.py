"""Start and stop an Asterisk inside the chroot, detached from whoever asked, and wait for FullyBooted."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ccserver.sandbox.ami import AmiClient, AmiError, run_blocking
from ccserver.sandbox.mounts import mount_proc
from ccserver.sandbox.paths import CHROOT_ASTERISK, CHROOT_RUN_DIR, SandboxError

BOOT_TIMEOUT = 60.0


@dataclass(frozen=True)
class AmiLogin:
    host: str
    port: int
    username: str
    secret: str


def _proc_root(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/root"))
    except OSError:
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def find_asterisk_pids(root: Path, conf: str) -> list[int]:
    """Asterisk processes chrooted in `root` and started with `-C conf` (started by us or by hand)."""
    root = root.resolve()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        args = _cmdline(pid)
        if not args or Path(args[0]).name != "asterisk" or "-r" in args or "-rx" in args:
            continue
        if _proc_root(pid) != root:
            continue
        if conf in args:
            found.append(pid)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def start_asterisk(root: Path, conf: str, log: Path, run_dirs: tuple[str, ...] = (CHROOT_RUN_DIR,)) -> int:
    """Start `asterisk -f -C conf` in the chroot in its own session; output goes to `log`. Returns the pid."""
    mount_proc(root)
    for run_dir in run_dirs:
        (root / run_dir.lstrip("/")).mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["chroot", str(root), CHROOT_ASTERISK, "-f", "-n", "-C", conf],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    return process.pid


async def _booted_once(login: AmiLogin, wait: float) -> None:
    """Log in and wait for FullyBooted (Asterisk sends it right after login once it is booted)."""
    async with asyncio.timeout(wait):
        client = await AmiClient.login(login.host, login.port, login.username, login.secret)
        try:
            await client.wait_for_event("FullyBooted")
        finally:
            await client.close()


def wait_fully_booted(pid: int, login: AmiLogin, log: Path, timeout: float = BOOT_TIMEOUT) -> None:
    """Poll AMI until a login succeeds and FullyBooted arrives; fail early if `pid` dies."""
    deadline = time.monotonic() + timeout
    last_error = "AMI never answered"
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise SandboxError(f"Asterisk exited while starting; last lines of {log}:\n{log_tail(log)}")
        try:
            run_blocking(_booted_once(login, min(5.0, max(0.1, deadline - time.monotonic()))))
            return
        except (TimeoutError, OSError, AmiError, asyncio.IncompleteReadError) as exc:
            last_error = str(exc) or type(exc).__name__
            time.sleep(0.2)
    raise SandboxError(
        f"Asterisk not FullyBooted after {timeout:.0f} s ({last_error}); "
        f"last lines of {log}:\n{log_tail(log)}"
    )


def asterisk_rx(
    root: Path, conf: str, command: str, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["chroot", str(root), CHROOT_ASTERISK, "-C", conf, "-rx", command],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = [pid for pid in pids if _alive(pid)]
        if not pids:
            return []
        time.sleep(0.1)
    return [pid for pid in pids if _alive(pid)]


def _reap(pids: list[int]) -> None:
    # Our own children (started in this process) must be reaped or they linger as zombies.
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def stop_asterisk(root: Path, conf: str, graceful_timeout: float = 10.0) -> bool:
    """`core stop gracefully` (waits for calls), then `core stop now`, then SIGKILL. True if one ran."""
    pids = find_asterisk_pids(root, conf)
    if not pids:
        return False
    steps: list[tuple[str | None, float]] = [
        ("core stop gracefully", graceful_timeout),
        ("core stop now", 5.0),
        (None, 5.0),
    ]
    for command, timeout in steps:
        if command is not None:
            try:
                asterisk_rx(root, conf, command, timeout=5)
            except subprocess.TimeoutExpired:
                pass
        else:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        _reap(pids)
        pids = _wait_gone(pids, timeout)
        _reap(pids)
        if not pids:
            return True
    raise SandboxError(f"Asterisk pids {pids} would not stop: kill them by hand")
