"""Who may act on one agent: the given roles on any agent, and an agent-role key on its own agent only
(the key is bound to it by `POST /api/v1/agents/{id}/api-keys`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import Depends, HTTPException

from ccserver.api.auth import current_key
from ccserver.api.deps import SessionDep
from ccserver.crm.agents import agent_for_api_key
from ccserver.crm.apikeys import ApiKey, Role


def agent_or(*roles: Role) -> Callable[..., Awaitable[ApiKey]]:
    allowed = frozenset(roles)

    async def check(agent_id: UUID, session: SessionDep, key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        if key.role in allowed:
            return key
        if key.role is Role.AGENT and await agent_for_api_key(session=session, api_key_id=key.id) == agent_id:
            return key
        if key.role is Role.AGENT:
            raise HTTPException(403, "An agent key acts only for the agent it was created for.")
        raise HTTPException(403, f"The {key.role.value} role may not do this.")

    return check


# Reads the agent: supervisors, admins, integrators, or the agent itself.
AgentReader = Annotated[ApiKey, Depends(agent_or(Role.ADMIN, Role.SUPERVISOR, Role.INTEGRATOR))]
# Changes the agent's state: supervisors, admins, or the agent itself.
AgentStateWriter = Annotated[ApiKey, Depends(agent_or(Role.ADMIN, Role.SUPERVISOR))]
