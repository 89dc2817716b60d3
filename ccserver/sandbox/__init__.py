"""The real Asterisk 22 sandbox: a cached Debian sid chroot running the repo's asterisk-conf/ and dialplans/.

Public API (see `service.py`): ensure_sandbox_up, restart_asterisk, sandbox_down, asterisk_cli,
reload_switch, sandbox_status.
"""

from ccserver.sandbox.paths import SandboxError
from ccserver.sandbox.service import (
    SandboxInfo,
    SandboxStatus,
    asterisk_cli,
    ensure_sandbox_up,
    reload_switch,
    restart_asterisk,
    sandbox_down,
    sandbox_status,
)

__all__ = [
    "SandboxError",
    "SandboxInfo",
    "SandboxStatus",
    "asterisk_cli",
    "ensure_sandbox_up",
    "reload_switch",
    "restart_asterisk",
    "sandbox_down",
    "sandbox_status",
]
