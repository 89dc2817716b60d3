"""`ccserver sandbox up|down|status|reload`.

Exit codes: 0 done / running, 1 reload problems, 2 the operator must fix something (the message
says what), 3 `status` found the sandbox stopped.
"""

from __future__ import annotations

import sys
import time

from ccserver.sandbox.ami import run_blocking
from ccserver.sandbox.paths import SandboxError, sandbox_paths
from ccserver.sandbox.service import ensure_sandbox_up, reload_switch, sandbox_down, sandbox_status


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _up() -> int:
    began = time.monotonic()
    info = ensure_sandbox_up()
    took = time.monotonic() - began
    if info.started:
        _err(
            f"sandbox: Asterisk started (pid {info.pid}, FullyBooted after {info.boot_seconds:.1f} s; "
            f"up took {took:.1f} s); log {info.log_file}"
        )
    else:
        _err(f"sandbox: already running (pid {info.pid}); {info.changes.describe()}; took {took:.1f} s")
    _err("sandbox: use it with CCSERVER_AMI_URL=<the URL below>")
    print(info.ami_url)
    return 0


def _down() -> int:
    if sandbox_down():
        _err("sandbox: Asterisk stopped, /proc unmounted")
    else:
        _err("sandbox: Asterisk was not running")
    return 0


def _status() -> int:
    status = sandbox_status()
    paths = sandbox_paths()
    print(f"provisioned: {'yes' if status.provisioned else 'no'} ({paths.rootfs})")
    if not status.running:
        print("asterisk: stopped")
        return 3
    print(f"asterisk: running, pid {', '.join(map(str, status.pids))}, version {status.version or '?'}")
    print(f"ami: {'answers, FullyBooted' if status.ami_ok else 'NOT answering'} on 127.0.0.1:5038")
    return 0 if status.ami_ok else 1


def _reload() -> int:
    report = run_blocking(reload_switch())
    print(report.describe())
    return 0 if report.ok else 1


ACTIONS = {"up": _up, "down": _down, "status": _status, "reload": _reload}


def sandbox_command(action: str) -> int:
    try:
        return ACTIONS[action]()
    except SandboxError as exc:
        _err(f"ccserver sandbox {action}: {exc}")
        return 2
