"""Agents' softphones as PJSIP objects: `pjsip_agents.conf`, rendered from the database, written atomically
into Asterisk's configuration directory, then `res_pjsip` reloaded on each switch.

`asterisk-conf/pjsip.conf` holds the templates (`agent-endpoint`, `agent-aor`, `agent-auth`) and ends
with `#tryinclude pjsip_agents.conf`; each agent gets three sections named by its extension. Only the
digest HA1 of the SIP password is stored and written (`password_digest = MD5:<HA1>`, Asterisk 22's
spelling; the older `md5_cred` is deprecated), so no plain password exists anywhere but in the phone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

FILE_NAME = "pjsip_agents.conf"
PJSIP_MODULE = "res_pjsip.so"
# The digest realm Asterisk challenges with (pjsip.conf's global `default_realm`, "asterisk" unless set).
# Written into every auth section too, so the stored HA1 and the challenge can never disagree.
REALM = "asterisk"


@dataclass(frozen=True, slots=True)
class PjsipAgent:
    extension: str  # endpoint, aor, auth and SIP user name
    name: str  # caller id name shown when the agent calls out
    ha1: str  # md5("<extension>:<REALM>:<password>"), hex


def digest_ha1(username: str, password: str, realm: str = REALM) -> str:
    """The SIP digest HA1 Asterisk compares against (RFC 2617): md5 of `user:realm:password`."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


def render_pjsip_agents(agents: Iterable[PjsipAgent]) -> str:
    """The whole file: one endpoint, aor and auth per agent, by extension."""
    lines = [
        "; Written by ccserver from its agents table: edits here are overwritten.",
        "; Add or change agents with POST/PATCH /api/v1/agents or `ccserver acd load`.",
    ]
    for agent in sorted(agents, key=lambda a: a.extension):
        ext = agent.extension
        caller_id = f'"{_quoted(agent.name)}" <{ext}>'
        lines += [
            "",
            f"[{ext}](agent-endpoint)",
            f"aors = {ext}",
            f"auth = {ext}",
            f"callerid = {caller_id}",
            "",
            f"[{ext}](agent-aor)",
            "",
            f"[{ext}](agent-auth)",
            "auth_type = digest",
            f"username = {ext}",
            f"realm = {REALM}",
            f"password_digest = MD5:{agent.ha1}",
        ]
    return "\n".join(lines) + "\n"


def _quoted(name: str) -> str:
    """A display name safe inside `"..."` on one config line (`;` would start a comment)."""
    return "".join(c for c in name if c not in '"\\;[]' and c.isprintable()).strip() or "Agent"


def write_atomically(path: Path, text: str) -> bool:
    """Replace `path` with `text` (temp file + rename, so Asterisk never reads half a file). False when
    the file already held exactly that text."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        _same_access(Path(tmp), path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _same_access(tmp: Path, path: Path) -> None:
    """The HA1s are password equivalents: not world-readable. Keep the old file's owner and mode, or give a
    new one the directory's group (Asterisk's, typically), so Asterisk can still read it."""
    try:
        reference, mode = path.stat(), None
    except FileNotFoundError:
        reference, mode = path.parent.stat(), 0o640
    os.chmod(tmp, mode if mode is not None else reference.st_mode & 0o777)
    try:
        os.chown(tmp, reference.st_uid if mode is None else -1, reference.st_gid)
    except PermissionError:  # not root: the file stays ours, with our group
        pass


class ModuleReloader(Protocol):
    """What the provisioner needs from the switches (SwitchGateway provides it)."""

    def switch_ids(self) -> list[str]: ...

    async def reload_module(self, switch_id: str, module: str) -> str: ...


@dataclass(frozen=True)
class Provisioned:
    """What one sync did: `status` is `applied`, `unchanged`, `written` (no switch to reload) or `failed`."""

    status: str
    detail: str
    path: Path
    agents: int = 0
    reloaded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # switch id -> why its reload failed


class AgentProvisioner:
    """Keeps `<conf_dir>/pjsip_agents.conf` equal to the active agents and has the switches reload it.

    `sync` takes a loader rather than the agents, and runs one at a time: the agents are read after the
    previous sync finished, so two changes racing each other both end up in the file.
    """

    def __init__(self, conf_dir: Path, reloader: ModuleReloader | None) -> None:
        self.conf_dir = conf_dir
        self.path = conf_dir / FILE_NAME
        self._reloader = reloader
        self._lock = asyncio.Lock()
        self._reload_pending = False  # a switch missed the last reload: retry on the next sync

    async def sync(self, load_agents: Callable[[], Awaitable[Sequence[PjsipAgent]]]) -> Provisioned:
        async with self._lock:
            if not self.conf_dir.is_dir():
                detail = f"{self.conf_dir} does not exist: set CCSERVER_ASTERISK_CONF_DIR to Asterisk's config dir"
                log.warning("agents not provisioned: %s", detail)
                return Provisioned("failed", detail, self.path)
            agents = await load_agents()
            try:
                changed = await asyncio.to_thread(write_atomically, self.path, render_pjsip_agents(agents))
            except OSError as exc:
                log.error("cannot write %s: %s", self.path, exc)
                return Provisioned("failed", f"cannot write {self.path}: {exc}", self.path, len(agents))
            if not changed and not self._reload_pending:
                return Provisioned("unchanged", f"{self.path} already up to date", self.path, len(agents))
            result = await self._reload(len(agents))
            self._reload_pending = bool(result.failed)
            return result

    async def _reload(self, count: int) -> Provisioned:
        switch_ids = self._reloader.switch_ids() if self._reloader is not None else []
        if self._reloader is None or not switch_ids:
            detail = f"wrote {self.path}; no switch connected to reload it"
            log.warning("agents provisioned: %s", detail)
            return Provisioned("written", detail, self.path, count)
        reloaded: list[str] = []
        failed: dict[str, str] = {}
        for switch_id in switch_ids:
            try:
                await self._reloader.reload_module(switch_id, PJSIP_MODULE)
                reloaded.append(switch_id)
            except Exception as exc:  # one switch down must not stop the others
                log.error("switch %s did not reload %s: %s", switch_id, PJSIP_MODULE, exc)
                failed[switch_id] = str(exc)
        status = "failed" if failed else "applied"
        detail = f"wrote {self.path}; reloaded {PJSIP_MODULE} on {', '.join(reloaded) or 'no switch'}"
        if failed:
            detail += f"; failed on {', '.join(failed)}"
        return Provisioned(status, detail, self.path, count, reloaded, failed)
