"""/api/v1/agents: CRUD with skills; each change also updates the agents' PJSIP endpoints on the switch."""

from __future__ import annotations

import logging
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.api.agent_access import AgentReader
from ccserver.api.auth import ConfigReader, ConfigWriter, require_role
from ccserver.api.deps import AppContext, ContextDep, SessionDep, tell_acd_of_config_writes
from ccserver.api.etags import etag, expected_version, if_match_version
from ccserver.api.schemas.agents import (
    AgentCreate,
    AgentKeyCreate,
    AgentKeyOut,
    AgentOut,
    AgentSaved,
    AgentSkillsIn,
    AgentUpdate,
    ProvisioningOut,
)
from ccserver.api.schemas.common import Page, problem_responses
from ccserver.api.schemas.types import MAX_LIMIT, Cursor
from ccserver.asterisk.pjsip_agents import Provisioned
from ccserver.crm import agents
from ccserver.crm.acd_model import Extension, SkillName
from ccserver.crm.agents import Agent, AgentChanges
from ccserver.crm.apikeys import ApiKey, Role

log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/api/v1/agents", tags=["agents"], responses=problem_responses(401, 403, 404, 422),
    dependencies=[Depends(tell_acd_of_config_writes)],
)

IfMatch = Annotated[int | None, Depends(if_match_version)]
AdminKey = Annotated[ApiKey, Depends(require_role(Role.ADMIN))]


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_agent(
    body: AgentCreate, session: SessionDep, context: ContextDep, _: ConfigWriter, response: Response
) -> AgentSaved:
    """Creates the agent and its PJSIP endpoint `<extension>`: its softphone can register at once."""
    agent = await agents.create_agent(session=session, **body.service_kwargs())
    response.headers["Location"] = f"{router.prefix}/{agent.id}"
    return _saved(agent, await _provision(context, session), response)


@router.get("", summary="Agents, newest first")
async def list_agents(
    session: SessionDep,
    _: ConfigReader,
    skill: Annotated[SkillName | None, Query(description="Only agents with this skill ...")] = None,
    min_level: Annotated[int, Query(ge=1, le=10, description="... at this level or more.")] = 1,
    extension: Annotated[Extension | None, Query(description="Only the agent with this extension.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[Cursor | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[AgentOut]:
    page = await agents.list_agents(
        session=session, limit=limit, cursor=cursor, skill=skill, min_level=min_level, extension=extension
    )
    return Page[AgentOut](items=[AgentOut.of(a) for a in page.items], next_cursor=page.next_cursor)


@router.get("/{agent_id}")
async def get_agent(agent_id: UUID, session: SessionDep, _: AgentReader, response: Response) -> AgentOut:
    agent = await agents.get_agent(session=session, agent_id=agent_id)
    response.headers["ETag"] = etag(agent.version)
    return AgentOut.of(agent)


@router.patch("/{agent_id}", responses=problem_responses(409, 412))
async def update_agent(
    agent_id: UUID,
    body: AgentUpdate,
    session: SessionDep,
    context: ContextDep,
    _: ConfigWriter,
    if_match: IfMatch,
    response: Response,
) -> AgentSaved:
    """Deactivating (`active: false`) removes the PJSIP endpoint; only a logged-out agent can be deactivated."""
    agent = await agents.update_agent(
        session=session, agent_id=agent_id, changes=body.changes(),
        expected_version=expected_version(if_match, body.version),
    )
    return _saved(agent, await _provision(context, session), response)


@router.put("/{agent_id}/skills", responses=problem_responses(412))
async def set_agent_skills(
    agent_id: UUID, body: AgentSkillsIn, session: SessionDep, _: ConfigWriter, if_match: IfMatch, response: Response
) -> AgentOut:
    agent = await agents.update_agent(
        session=session, agent_id=agent_id, changes=AgentChanges(skills=body.skills),
        expected_version=expected_version(if_match, body.version),
    )
    response.headers["ETag"] = etag(agent.version)
    return AgentOut.of(agent)


@router.delete("/{agent_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(409, 412))
async def delete_agent(
    agent_id: UUID, session: SessionDep, context: ContextDep, _: ConfigWriter, if_match: IfMatch
) -> None:
    """Only a logged-out agent; its state history is kept. Its PJSIP endpoint goes too."""
    await agents.delete_agent(session=session, agent_id=agent_id, expected_version=if_match)
    result = await _provision(context, session)
    log.info("agent %s deleted; PJSIP: %s", agent_id, ProvisioningOut.of(result).detail)


@router.post("/{agent_id}/api-keys", status_code=status.HTTP_201_CREATED, summary="A key acting for this agent")
async def create_agent_api_key(agent_id: UUID, body: AgentKeyCreate, session: SessionDep, _: AdminKey) -> AgentKeyOut:
    """An `agent`-role API key bound to this agent: it reads the agent and changes its state, nothing
    else about agents. The key is shown once."""
    key, text = await agents.create_agent_api_key(session=session, agent_id=agent_id, name=body.name)
    return AgentKeyOut(id=key.id, name=key.name, role=key.role.value, agent_id=agent_id, key=text)


async def _provision(context: AppContext, session: AsyncSession) -> Provisioned | None:
    if context.provisioner is None:
        log.info("agents changed; no provisioner configured, so no pjsip_agents.conf is written")
        return None
    return await context.provisioner.sync(lambda: agents.pjsip_agents(session=session))


def _saved(agent: Agent, provisioned: Provisioned | None, response: Response) -> AgentSaved:
    response.headers["ETag"] = etag(agent.version)
    return AgentSaved(**AgentOut.of(agent).model_dump(), provisioning=ProvisioningOut.of(provisioned))
