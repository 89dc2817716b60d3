"""Agents' live calls: `POST /api/v1/agents/{id}/transfer` (the agent's desktop hands the caller to a queue
or another agent) and `POST /api/v1/agents/{id}/monitor` (a supervisor listens to, whispers to or barges
into the call from their own phone). The action goes on the call's record (`ccserver.AcdSupervisorMonitor`,
with who asked); forcing an agent's state is `POST /api/v1/agents/{id}/state` with a supervisor's key,
logged with source `supervisor`."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from ccserver.acd.supervision import NotOnACall
from ccserver.api.agent_access import AgentStateWriter
from ccserver.api.auth import require_role
from ccserver.api.deps import ContextDep
from ccserver.api.schemas.common import problem_responses
from ccserver.asterisk.gateway import SwitchUnavailable
from ccserver.crm.acd_model import NAME_PATTERN
from ccserver.crm.apikeys import ApiKey, Role
from ccserver.crm.errors import Conflict, FieldError, InvalidInput, NotFound

router = APIRouter(prefix="/api/v1/agents", tags=["supervision"], responses=problem_responses(401, 403, 404, 422))
Supervisor = Annotated[ApiKey, Depends(require_role(Role.ADMIN, Role.SUPERVISOR))]


class MonitorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"mode": "listen", "extension": "1900"}]})

    mode: Literal["listen", "whisper", "barge"] = Field(
        description="listen: hear both sides; whisper: speak to the agent only; barge: speak to both."
    )
    extension: str = Field(pattern=r"^[0-9A-Za-z]{2,20}$", description="The supervisor's own phone (extension).")


class MonitorOut(BaseModel):
    call_id: UUID
    mode: str
    spied_channel: str = Field(description="The agent's side of the call, as the switch names it.")


@router.post("/{agent_id}/monitor", status_code=status.HTTP_202_ACCEPTED, responses=problem_responses(409, 503),
             summary="Listen, whisper or barge on the agent's live call")
async def monitor(agent_id: UUID, body: MonitorRequest, context: ContextDep, key: Supervisor) -> MonitorOut:
    """Rings the supervisor's phone now; once answered it joins the agent's call in the chosen mode until
    the call ends. 409 when the agent is not on a call."""
    if context.acd is None or not context.acd.loaded:
        raise HTTPException(503, "The live ACD is not running or has not loaded yet.", {"Retry-After": "5"})
    try:
        plan = await context.acd.monitor(str(agent_id), body.mode, body.extension, by=key.name)
    except KeyError:
        raise NotFound("agent", agent_id) from None
    except NotOnACall as exc:
        raise Conflict(str(exc)) from None
    return MonitorOut(call_id=UUID(plan.call_id), mode=body.mode, spied_channel=plan.agent_channel)


class TransferRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"queue": "billing"}, {"extension": "1002"}]}
    )

    queue: str | None = Field(None, pattern=NAME_PATTERN, description="Transfer to this queue ...")
    extension: str | None = Field(None, pattern=r"^[0-9]{2,10}$", description="... or to this agent's extension.")


class TransferOut(BaseModel):
    call_id: UUID


@router.post("/{agent_id}/transfer", status_code=status.HTTP_202_ACCEPTED, responses=problem_responses(409, 503),
             summary="Transfer the agent's live call to a queue or another agent")
async def transfer(agent_id: UUID, body: TransferRequest, context: ContextDep, key: AgentStateWriter) -> TransferOut:
    """A blind transfer by the agent's side of the call: the caller queues again in `queue` (keeping
    nothing of the old place) or rings `extension`; the agent's part ends and wrap-up starts when the
    switch reports it. 409 when the agent is not on a call; 422 for an unknown queue."""
    if (body.queue is None) == (body.extension is None):
        raise InvalidInput([FieldError(("queue",), "give exactly one of queue and extension")])
    if context.acd is None or not context.acd.loaded:
        raise HTTPException(503, "The live ACD is not running or has not loaded yet.", {"Retry-After": "5"})
    try:
        call_id = await context.acd.transfer(str(agent_id), queue=body.queue, extension=body.extension, by=key.name)
    except KeyError as exc:
        if body.queue is not None and "queue" in str(exc):
            raise InvalidInput([FieldError(("queue",), f"no queue {body.queue!r}")]) from None
        raise NotFound("agent", agent_id) from None
    except NotOnACall as exc:
        raise Conflict(str(exc)) from None
    except SwitchUnavailable as exc:
        raise HTTPException(503, f"The switch did not take the transfer: {exc}") from None
    return TransferOut(call_id=UUID(call_id))
