"""/api/v1/agent-sessions: the agent desktop's sign-in. An agent proves who it is with its extension and
SIP password (the one its softphone registers with) and gets an agent-role API key bound to itself."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.api.deps import SessionDep
from ccserver.api.schemas.agent_sessions import AgentSessionIn, AgentSessionOut
from ccserver.api.schemas.common import problem_responses
from ccserver.asterisk.pjsip_agents import digest_ha1
from ccserver.crm.agents import create_agent_api_key
from ccserver.crm.tables import agents

router = APIRouter(prefix="/api/v1/agent-sessions", tags=["agent desktop"], responses=problem_responses(401, 422))

WRONG = "Unknown extension or wrong password."
# Compared against when no agent has the extension, so that both failures take the same time.
_NO_AGENT_HA1 = digest_ha1("-", "-")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Sign an agent in to the desktop")
async def open_session(body: AgentSessionIn, session: SessionDep) -> AgentSessionOut:
    """No `Authorization` needed: the extension and SIP password are the credentials. The key returned
    (named `desktop session <time>`) reads and changes this agent only; it is shown once. 401 for an
    unknown extension, a wrong password or an inactive agent, with the same message for each."""
    agent_id, name = await _check_password(session, body.extension, body.password)
    key_name = f"desktop session {datetime.now(UTC).isoformat(timespec='seconds')}"
    _, key = await create_agent_api_key(session=session, agent_id=agent_id, name=key_name)
    return AgentSessionOut(agent_id=agent_id, key=key, name=name, extension=body.extension)


async def _check_password(session: AsyncSession, extension: str, password: str) -> tuple[UUID, str]:
    query = select(agents.c.id, agents.c.name, agents.c.sip_ha1, agents.c.active).where(agents.c.extension == extension)
    row = (await session.execute(query)).first()
    stored = row.sip_ha1 if row is not None else _NO_AGENT_HA1
    matches = hmac.compare_digest(digest_ha1(extension, password), stored)
    if row is None or not matches or not row.active:
        raise HTTPException(401, WRONG)
    return row.id, row.name
