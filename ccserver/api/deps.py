"""Request-scoped dependencies, reached through `app.state.context` (set by `create_app`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ccserver.api.readiness import Readiness
from ccserver.asterisk.gateway import SwitchGateway
from ccserver.asterisk.pjsip_agents import AgentProvisioner
from ccserver.settings import Settings


@dataclass(frozen=True, slots=True)
class AppContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    readiness: Readiness
    metrics_registry: CollectorRegistry
    switches: SwitchGateway | None = None
    provisioner: AgentProvisioner | None = None  # writes agents' PJSIP endpoints; None: not this ccserver's job


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
