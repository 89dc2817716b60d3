"""The one way commands reach the switches: typed calls in, AMI actions out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ccserver.asterisk.ami_link import AmiActionFailed, AmiLink, AmiNotConnected


class UnknownSwitch(LookupError):
    pass


class SwitchUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class ReloadResult:
    switch_id: str
    message: str


class SwitchGateway:
    def __init__(self, links: dict[str, AmiLink]) -> None:
        self._links = links

    def switch_ids(self) -> list[str]:
        return sorted(self._links)

    def is_ready(self, switch_id: str) -> bool:
        """Logged in and resynced."""
        link = self._links.get(switch_id)
        return link is not None and link.ready.is_set()

    def ready_switch_ids(self) -> list[str]:
        return [switch_id for switch_id in sorted(self._links) if self.is_ready(switch_id)]

    def _link(self, switch_id: str) -> AmiLink:
        try:
            return self._links[switch_id]
        except KeyError:
            raise UnknownSwitch(switch_id) from None

    async def reload_config(self, switch_id: str) -> ReloadResult:
        """Ask Asterisk to re-read its configuration files (already deployed on its host).

        A reload re-reads the dialplan and the modules' configs; channels and bridges in progress are
        untouched, so no call is dropped.
        """
        message = await self._reload(switch_id, {"Action": "Reload"})
        return ReloadResult(switch_id=switch_id, message=message)

    async def reload_module(self, switch_id: str, module: str) -> str:
        """Reload one module (e.g. `res_pjsip.so` after pjsip_agents.conf changed); Asterisk's reply message."""
        return await self._reload(switch_id, {"Action": "Reload", "Module": module})

    async def _reload(self, switch_id: str, action: dict[str, str]) -> str:
        link = self._link(switch_id)
        try:
            reply = await link.action(action, timeout=30)
        except (AmiNotConnected, AmiActionFailed, TimeoutError) as exc:
            raise SwitchUnavailable(f"{switch_id}: {exc}") from exc
        return str(reply.get("Message", ""))

    # --- call control (the ACD) ---

    async def redirect(self, switch_id: str, channel: str, context: str, exten: str, priority: int = 1) -> None:
        """Send a live channel to another place in the dialplan (it leaves whatever app it is in)."""
        await self._send(switch_id, {
            "Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten, "Priority": str(priority),
        })

    async def blind_transfer(self, switch_id: str, channel: str, context: str, exten: str) -> None:
        """As if `channel`'s phone transferred its peer to `exten@context` (its own part of the call ends)."""
        await self._send(switch_id, {"Action": "BlindTransfer", "Channel": channel, "Context": context, "Exten": exten})

    async def originate(self, switch_id: str, fields: dict[str, str], *, timeout: float) -> dict[str, str]:
        """Originate and wait (up to `timeout`) for its OriginateResponse: `Response` is Success once the
        channel answered, Failure with a `Reason` (Asterisk's cause) when it did not."""
        reply = await self._send(switch_id, {"Action": "Originate", **fields}, timeout=timeout)
        last = reply[-1] if isinstance(reply, list) else reply
        return {str(k): str(v) for k, v in last.items()}

    async def set_global(self, switch_id: str, name: str, value: str) -> None:
        await self._send(switch_id, {"Action": "Setvar", "Variable": name, "Value": value})

    async def _send(self, switch_id: str, action: dict[str, str], *, timeout: float | None = None) -> Any:
        link = self._link(switch_id)
        try:
            return await link.action(action, timeout=timeout)
        except (AmiNotConnected, TimeoutError) as exc:
            raise SwitchUnavailable(f"{switch_id}: {exc}") from exc
