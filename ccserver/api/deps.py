"""Request-scoped dependencies, reached through `app.state.context` (set by `create_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ccserver.acd.live_view import LiveWallboard
from ccserver.acd.supervision import MonitorPlan
from ccserver.api.readiness import Readiness
from ccserver.asterisk.gateway import SwitchGateway
from ccserver.asterisk.pjsip_agents import AgentProvisioner
from ccserver.desktop.feed import AgentFeed
from ccserver.settings import Settings


class LiveAcdDesk(Protocol):
    """What the API asks of the running ACD (ccserver/acd/service.py `Acd`)."""

    loaded: bool

    def config_changed(self) -> None: ...

    async def request_state(
        self, agent_id: str, state: str, reason: str | None, source: str, *, extend_s: float | None = None
    ) -> object: ...

    def wallboard(self) -> LiveWallboard:
        """Queues and logged-in agents now, by the ACD's clock (ccserver/acd/live_view.py)."""
        ...

    def agent_now(self, agent_id: str) -> dict[str, object] | None:
        """The agent's state now, as the desktop shows it; None for an agent the ACD does not route."""
        ...

    async def monitor(self, agent_id: str, mode: str, supervisor_extension: str, by: str) -> MonitorPlan:
        """A supervisor joins the agent's live call (ccserver/acd/supervision.py)."""
        ...

    async def transfer(self, agent_id: str, *, queue: str | None, extension: str | None, by: str) -> str:
        """The agent's live call handed to a queue or another agent; the call id."""
        ...


@dataclass(frozen=True, slots=True)
class AppContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    readiness: Readiness
    metrics_registry: CollectorRegistry
    switches: SwitchGateway | None = None
    provisioner: AgentProvisioner | None = None  # writes agents' PJSIP endpoints; None: not this ccserver's job
    acd: LiveAcdDesk | None = None  # the running ACD; None: agents' states are only recorded
    agent_feed: AgentFeed | None = None  # the agents' desktop streams (/ws/agents/{id}); None: not served here


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_settings(context: Annotated[AppContext, Depends(get_context)]) -> Settings:
    return context.settings


async def get_session(context: Annotated[AppContext, Depends(get_context)]) -> AsyncIterator[AsyncSession]:
    async with context.sessions() as session:
        yield session


ContextDep = Annotated[AppContext, Depends(get_context)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def tell_acd_of_config_writes(
    request: Request, context: Annotated[AppContext, Depends(get_context)]
) -> AsyncIterator[None]:
    """Router dependency for the ACD's configuration: after a write, the running ACD reloads it at once."""
    yield
    if context.acd is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
        context.acd.config_changed()
