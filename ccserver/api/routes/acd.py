"""The ACD's vocabularies (/api/v1/skills, /api/v1/not-ready-reasons) and a call's routing decisions."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from ccserver.api.auth import AnyRole, ConfigWriter
from ccserver.api.deps import SessionDep, tell_acd_of_config_writes
from ccserver.api.schemas.acd import ReasonIn, ReasonOut, RoutingDecisionOut, SkillIn, SkillOut
from ccserver.api.schemas.common import problem_responses
from ccserver.crm import acd_config, routing_log

router = APIRouter(
    prefix="/api/v1", responses=problem_responses(401, 403, 422),
    dependencies=[Depends(tell_acd_of_config_writes)],
)


@router.get("/skills", tags=["skills"], summary="Skills by name")
async def list_skills(session: SessionDep, _: AnyRole) -> list[SkillOut]:
    return [SkillOut.model_validate(s, from_attributes=True) for s in await acd_config.list_skills(session=session)]


@router.post("/skills", tags=["skills"], status_code=status.HTTP_201_CREATED, responses=problem_responses(409))
async def create_skill(body: SkillIn, session: SessionDep, _: ConfigWriter, response: Response) -> SkillOut:
    skill = await acd_config.create_skill(session=session, name=body.name, description=body.description)
    response.headers["Location"] = f"{router.prefix}/skills/{skill.name}"
    return SkillOut.model_validate(skill, from_attributes=True)


@router.get("/not-ready-reasons", tags=["agents"], summary="Reason codes for not_ready, by code")
async def list_reasons(session: SessionDep, _: AnyRole) -> list[ReasonOut]:
    reasons = await acd_config.list_reasons(session=session)
    return [ReasonOut.model_validate(r, from_attributes=True) for r in reasons]


@router.post(
    "/not-ready-reasons", tags=["agents"], status_code=status.HTTP_201_CREATED, responses=problem_responses(409)
)
async def create_reason(body: ReasonIn, session: SessionDep, _: ConfigWriter) -> ReasonOut:
    reason = await acd_config.create_reason(
        session=session, code=body.code, label=body.label, productive=body.productive
    )
    return ReasonOut.model_validate(reason, from_attributes=True)


@router.get(
    "/calls/{call_id}/routing", tags=["calls"], responses=problem_responses(404),
    summary="The call's routing decisions, in the order taken",
)
async def list_routing_decisions(call_id: UUID, session: SessionDep, _: AnyRole) -> list[RoutingDecisionOut]:
    decisions = await routing_log.list_routing_decisions(session=session, call_id=call_id)
    return [RoutingDecisionOut.model_validate(d, from_attributes=True) for d in decisions]
