"""/api/v1/dispositions (the codes: everyone reads, admins and supervisors write) and a call's dispositions
(`/api/v1/calls/{id}/disposition`: an agent sets its own; supervisors and admins set anyone's)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.api.auth import AnyRole, ConfigWriter, require_role
from ccserver.api.deps import SessionDep
from ccserver.api.schemas.cases import (
    CallDispositionIn,
    CallDispositionOut,
    DispositionIn,
    DispositionOut,
    DispositionPut,
)
from ccserver.api.schemas.common import problem_responses
from ccserver.crm import dispositions
from ccserver.crm.acd_model import Name
from ccserver.crm.agents import agent_for_api_key
from ccserver.crm.apikeys import ApiKey, Role

router = APIRouter(prefix="/api/v1", responses=problem_responses(401, 403, 422))

DispositionSetter = Annotated[ApiKey, Depends(require_role(Role.ADMIN, Role.SUPERVISOR, Role.AGENT))]


@router.get("/dispositions", tags=["dispositions"], summary="Disposition codes, by code")
async def list_dispositions(
    session: SessionDep,
    _: AnyRole,
    active_only: Annotated[bool, Query(description="Only the codes agents may still pick.")] = False,
) -> list[DispositionOut]:
    found = await dispositions.list_dispositions(session=session, active_only=active_only)
    return [DispositionOut.of(d) for d in found]


@router.post(
    "/dispositions", tags=["dispositions"], status_code=status.HTTP_201_CREATED, responses=problem_responses(409)
)
async def create_disposition(
    body: DispositionIn, session: SessionDep, _: ConfigWriter, response: Response
) -> DispositionOut:
    disposition = await dispositions.create_disposition(session=session, **body.model_dump())
    response.headers["Location"] = f"{router.prefix}/dispositions/{disposition.code}"
    return DispositionOut.of(disposition)


@router.put(
    "/dispositions/{code}", tags=["dispositions"], responses={201: {"description": "Created"}},
    summary="Create or replace a disposition code",
)
async def put_disposition(
    code: Annotated[Name, Path(description="Letters, digits, `_`, `.`, `-`.")],
    body: DispositionPut,
    session: SessionDep,
    _: ConfigWriter,
    response: Response,
) -> DispositionOut:
    """200 when it replaced the code, 201 when it created it. Deactivate a code rather than remove it."""
    disposition, created = await dispositions.put_disposition(session=session, code=code, **body.model_dump())
    if created:
        response.status_code = status.HTTP_201_CREATED
    return DispositionOut.of(disposition)


@router.post(
    "/calls/{call_id}/disposition", tags=["calls"], responses={201: {"description": "Created"}},
    summary="Set the call's disposition (one per agent; setting it again replaces it)",
)
async def set_call_disposition(
    call_id: UUID, body: CallDispositionIn, session: SessionDep, key: DispositionSetter, response: Response
) -> CallDispositionOut:
    """201 for the agent's first disposition of the call, 200 when it replaced one. The call need not be in
    the journal yet (the desktop may be faster than the switch's events)."""
    agent_id = await _disposing_agent(session, key, body.agent_id)
    disposition, created = await dispositions.set_call_disposition(
        session=session, call_id=call_id, code=body.code, agent_id=agent_id, notes=body.notes
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return CallDispositionOut.of(disposition)


@router.get(
    "/calls/{call_id}/dispositions", tags=["calls"], responses=problem_responses(404),
    summary="The call's dispositions, oldest first",
)
async def list_call_dispositions(call_id: UUID, session: SessionDep, _: AnyRole) -> list[CallDispositionOut]:
    found = await dispositions.list_call_dispositions(session=session, call_id=call_id)
    return [CallDispositionOut.of(d) for d in found]


async def _disposing_agent(session: AsyncSession, key: ApiKey, named: UUID | None) -> UUID | None:
    """Whose disposition it is: an agent key's own agent; for supervisors and admins, the one they name."""
    if key.role is not Role.AGENT:
        return named
    own = await agent_for_api_key(session=session, api_key_id=key.id)
    if own is None:
        raise HTTPException(403, "This agent key acts for no agent: create one with POST /api/v1/agents/{id}/api-keys.")
    if named is not None and named != own:
        raise HTTPException(403, "An agent key acts only for the agent it was created for.")
    return own
