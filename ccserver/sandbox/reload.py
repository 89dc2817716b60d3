"""Push changed config files into a running Asterisk and reload only what they configure.

Reloads never drop calls in progress: `dialplan reload` swaps the dialplan for new calls only, and a
PJSIP reload keeps established sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccserver.sandbox.ami import AmiClient
from ccserver.sandbox.install import ConfigChanges

# Which module reloads each config file (names as `Action: Reload` / `module reload` take them).
MODULE_FOR_FILE = {
    "extensions.conf": "pbx_config",
    "extensions_custom.conf": "pbx_config",
    "pjsip.conf": "res_pjsip.so",
    "pjproject.conf": "res_pjproject.so",
    "manager.conf": "manager",
    "manager_users.conf": "manager",
    "musiconhold.conf": "res_musiconhold.so",
    "rtp.conf": "res_rtp_asterisk.so",
    "amd.conf": "app_amd.so",
    "logger.conf": "logger",
    "features.conf": "features",
    "cdr.conf": "cdr",
    "cel.conf": "cel",
    "udptl.conf": "udptl",
    "acl.conf": "acl",
    "indications.conf": "indications",
}

# Read only at start-up (or by modules that cannot reload): a change needs `sandbox down` + `up`.
RESTART_FILES = frozenset({"asterisk.conf", "modules.conf", "stasis.conf", "ccss.conf"})

FULL_RELOAD = ""  # `Action: Reload` without a Module: every module rereads its config


@dataclass(frozen=True)
class ReloadPlan:
    modules: list[str] = field(default_factory=list)
    needs_restart: list[str] = field(default_factory=list)


def module_for(path: str) -> str:
    if path.startswith("dialplans/"):
        return "pbx_config"
    if path.startswith("pjsip_") and path.endswith(".conf"):
        return "res_pjsip.so"
    return MODULE_FOR_FILE.get(path, FULL_RELOAD)


def plan_reload(changes: ConfigChanges) -> ReloadPlan:
    """The module reloads (in a stable order) that make Asterisk pick up `changes`."""
    modules: list[str] = []
    restart: list[str] = []
    for path in [*changes.changed, *changes.removed]:
        if path in RESTART_FILES:
            restart.append(path)
            continue
        module = module_for(path)
        if module not in modules:
            modules.append(module)
    if FULL_RELOAD in modules:
        modules = [FULL_RELOAD]
    return ReloadPlan(modules=modules, needs_restart=restart)


@dataclass(frozen=True)
class ReloadReport:
    changes: ConfigChanges
    reloaded: list[str]
    failed: list[str]
    prompts: list[str] = field(default_factory=list)  # sound files changed (no reload needed)

    @property
    def needs_restart(self) -> list[str]:
        return self.changes.held_back

    @property
    def ok(self) -> bool:
        return not self.failed and not self.needs_restart

    def describe(self) -> str:
        lines = [self.changes.describe()]
        if self.reloaded:
            lines.append("reloaded " + ", ".join(m or "everything" for m in self.reloaded))
        lines += [f"reload failed: {failure}" for failure in self.failed]
        if self.prompts:
            lines.append(f"prompts updated: {', '.join(self.prompts)}")
        if self.needs_restart:
            lines.append(
                f"{', '.join(self.needs_restart)} read only at start-up: `ccserver sandbox up` restarts"
            )
        return "\n".join(lines)


async def apply_reload(client: AmiClient, changes: ConfigChanges) -> ReloadReport:
    plan = plan_reload(changes)
    reloaded, failed = [], []
    for module in plan.modules:
        headers = {"Module": module} if module else {}
        reply = await client.action("Reload", **headers)
        if reply.get("Response") == "Success":
            reloaded.append(module)
        else:
            failed.append(f"{module or 'everything'}: {reply.get('Message')}")
    return ReloadReport(changes=changes, reloaded=reloaded, failed=failed)
