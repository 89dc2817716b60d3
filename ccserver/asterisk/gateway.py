"""The one way commands reach the switches: typed calls in, AMI actions out."""

from __future__ import annotations

from dataclasses import dataclass

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
