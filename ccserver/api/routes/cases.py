"""/api/v1/cases: tickets with notes. Every role works them: agents from the desktop, integrators from a CRM,
supervisors and admins. Each change is signed `agent:<id>` (an agent's key) or `key:<API key name>`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.api.auth import AnyRole
from ccserver.api.deps import SessionDep
from ccserver.api.etags import etag, expected_version, if_match_version
from ccserver.api.schemas.cases import CaseCreate, CaseDetailOut, CaseNoteOut, CaseOut, CaseStatus, CaseUpdate, NoteIn
from ccserver.api.schemas.common import Page, problem_responses
from ccserver.api.schemas.types import MAX_LIMIT, Cursor
from ccserver.crm import cases
from ccserver.crm.agents import agent_for_api_key
from ccserver.crm.apikeys import ApiKey, Role
from ccserver.crm.cases import CaseDetail, CaseFilters

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], responses=problem_responses(401, 403, 404, 422))

IfMatch = Annotated[int | None, Depends(if_match_version)]
CaseWorker = AnyRole  # admin, supervisor, agent, integrator


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_case(body: CaseCreate, session: SessionDep, key: CaseWorker, response: Response) -> CaseDetailOut:
    signature = await _signature(session, key)
    detail = await cases.create_case(session=session, created_by=signature, **body.service_kwargs())
    response.headers["Location"] = f"{router.prefix}/{detail.case.id}"
    return _detail(detail, response)


@router.get("", summary="Cases, newest first")
async def list_cases(
    session: SessionDep,
    _: CaseWorker,
    customer_id: Annotated[UUID | None, Query(description="Only this customer's cases.")] = None,
    status_is: Annotated[CaseStatus | None, Query(alias="status", description="Only cases in this status.")] = None,
    call_id: Annotated[UUID | None, Query(description="Only cases opened from this call.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[Cursor | None, Query(description="`next_cursor` of the previous page.")] = None,
) -> Page[CaseOut]:
    filters = CaseFilters(customer_id=customer_id, status=status_is, call_id=call_id)
    page = await cases.list_cases(session=session, filters=filters, limit=limit, cursor=cursor)
    return Page[CaseOut](items=[CaseOut.of(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/{case_id}", summary="One case with its notes")
async def get_case(case_id: UUID, session: SessionDep, _: CaseWorker, response: Response) -> CaseDetailOut:
    return _detail(await cases.get_case(session=session, case_id=case_id), response)


@router.patch("/{case_id}", responses=problem_responses(412))
async def update_case(
    case_id: UUID, body: CaseUpdate, session: SessionDep, _: CaseWorker, if_match: IfMatch, response: Response
) -> CaseDetailOut:
    """Resolving sets `resolved_at`; moving back to open or pending (reopening) clears it."""
    detail = await cases.update_case(
        session=session, case_id=case_id, changes=body.changes(),
        expected_version=expected_version(if_match, body.version),
    )
    return _detail(detail, response)


@router.post("/{case_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_case_note(case_id: UUID, body: NoteIn, session: SessionDep, key: CaseWorker) -> CaseNoteOut:
    """Notes are appended; they do not change the case's version."""
    note = await cases.add_case_note(
        session=session, case_id=case_id, author=await _signature(session, key), body=body.body
    )
    return CaseNoteOut.of(note)


async def _signature(session: AsyncSession, key: ApiKey) -> str:
    if key.role is Role.AGENT:
        agent_id = await agent_for_api_key(session=session, api_key_id=key.id)
        if agent_id is not None:
            return f"agent:{agent_id}"
    return f"key:{key.name}"


def _detail(detail: CaseDetail, response: Response) -> CaseDetailOut:
    response.headers["ETag"] = etag(detail.case.version)
    return CaseDetailOut.of_detail(detail)
