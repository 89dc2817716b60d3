"""Bearer API keys and who may do what."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ccserver.api.deps import SessionDep
from ccserver.crm.apikeys import ApiKey, Role, authenticate

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer ccs_<prefix>_<secret>`")


async def current_key(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if credentials is None:
        raise HTTPException(
            401, "Send an API key as `Authorization: Bearer <key>`.", {"WWW-Authenticate": "Bearer"}
        )
    key = await authenticate(session=session, key=credentials.credentials)
    if key is None:
        raise HTTPException(
            401, "The API key is unknown or revoked.", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )
    return key


def require_role(*roles: Role) -> Callable[[ApiKey], Awaitable[ApiKey]]:
    allowed = frozenset(roles)

    async def check(key: Annotated[ApiKey, Depends(current_key)]) -> ApiKey:
        if key.role not in allowed:
            raise HTTPException(403, f"The {key.role.value} role may not do this.")
        return key

    return check


# Who may do what. Agents read customers (screen-pop) but change them only through an integration.
AnyRole = Annotated[ApiKey, Depends(require_role(*Role))]
CustomerWriter = Annotated[ApiKey, Depends(require_role(Role.ADMIN, Role.SUPERVISOR, Role.INTEGRATOR))]
# The ACD's configuration (agents, queues, skills, reason codes): admins and supervisors write it,
# integrators read it; an agent reads itself and changes its own state (ccserver/api/agent_access.py).
ConfigWriter = Annotated[ApiKey, Depends(require_role(Role.ADMIN, Role.SUPERVISOR))]
ConfigReader = Annotated[ApiKey, Depends(require_role(Role.ADMIN, Role.SUPERVISOR, Role.INTEGRATOR))]
