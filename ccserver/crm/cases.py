"""Cases (tickets): a customer's issue, worked over calls by agents and integrations, with its notes.

Status runs open -> pending -> resolved and back (a resolved case can be reopened); `resolved_at` is set
while it is resolved. Keyword-only service functions; each write commits.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.cursors import newest_first_page
from ccserver.crm.customers import UNSET, _Unset
from ccserver.crm.errors import CrmError, FieldError, InvalidInput, NotFound
from ccserver.crm.tables import CASE_STATUSES, case_notes, cases
from ccserver.crm.versions import gone_or_stale

OPEN_STATUSES = ("open", "pending")
MAX_PRIORITY = 9


@dataclass(frozen=True, slots=True)
class Case:
    id: UUID
    customer_id: UUID | None
    call_id: UUID | None
    subject: str
    status: str
    priority: int  # 0 (normal) to 9 (most urgent)
    sla_due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    created_by: str  # agent:<id> or key:<API key name>
    version: int


@dataclass(frozen=True, slots=True)
class CaseNote:
    id: int
    case_id: UUID
    author: str
    body: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: Case
    notes: list[CaseNote]  # oldest first


@dataclass(frozen=True, kw_only=True)
class CaseFilters:
    customer_id: UUID | None = None
    status: str | None = None
    call_id: UUID | None = None


@dataclass(frozen=True, kw_only=True)
class CaseChanges:
    """A partial update: a field left UNSET is not touched; `sla_due_at=None` removes the deadline."""

    subject: str | _Unset = UNSET
    status: str | _Unset = UNSET
    priority: int | _Unset = UNSET
    sla_due_at: datetime | None | _Unset = UNSET


@dataclass(frozen=True, slots=True)
class CasePage:
    items: list[Case]
    next_cursor: str | None


async def create_case(
    *,
    session: AsyncSession,
    subject: str,
    created_by: str,
    customer_id: UUID | None = None,
    call_id: UUID | None = None,
    status: str = "open",
    priority: int = 0,
    sla_due_at: datetime | None = None,
    note: str | None = None,
) -> CaseDetail:
    """Open a case (with a first note, if given). `call_id` need not be in the journal yet."""
    _check(status=status, priority=priority)
    values = {
        "subject": subject, "created_by": created_by, "customer_id": customer_id, "call_id": call_id,
        "status": status, "priority": priority, "sla_due_at": sla_due_at,
        "resolved_at": func.now() if status == "resolved" else None,
    }
    try:
        case_id = (await session.execute(insert(cases).values(values).returning(cases.c.id))).scalar_one()
        if note is not None:
            await session.execute(insert(case_notes).values(case_id=case_id, author=created_by, body=note))
        await session.commit()
    except IntegrityError as exc:  # the only foreign key a caller names
        await session.rollback()
        raise InvalidInput([FieldError(("customer_id",), f"no customer {customer_id}")]) from exc
    return await get_case(session=session, case_id=case_id)


async def get_case(*, session: AsyncSession, case_id: UUID) -> CaseDetail:
    row = (await session.execute(select(cases).where(cases.c.id == case_id))).mappings().first()
    if row is None:
        raise NotFound("case", case_id)
    query = select(case_notes).where(case_notes.c.case_id == case_id).order_by(case_notes.c.id)
    notes = [CaseNote(**note) for note in (await session.execute(query)).mappings()]
    return CaseDetail(case=_case(row), notes=notes)


async def list_cases(
    *, session: AsyncSession, filters: CaseFilters, limit: int, cursor: str | None = None
) -> CasePage:
    """Newest first, keyset-paginated on (created_at, id). Raises InvalidCursor for a foreign cursor."""
    query: Select[Any] = select(cases)
    for column, value in (
        (cases.c.customer_id, filters.customer_id),
        (cases.c.status, filters.status),
        (cases.c.call_id, filters.call_id),
    ):
        if value is not None:
            query = query.where(column == value)
    rows, next_cursor = await newest_first_page(
        session, query, at=cases.c.created_at, row_id=cases.c.id, limit=limit, cursor=cursor
    )
    return CasePage(items=[_case(row) for row in rows], next_cursor=next_cursor)


async def update_case(
    *, session: AsyncSession, case_id: UUID, changes: CaseChanges, expected_version: int | None = None
) -> CaseDetail:
    """Apply `changes` and bump `version`; VersionMismatch if `expected_version` is not current. Resolving
    stamps `resolved_at` (kept if it was resolved already); any other status clears it."""
    values: dict[str, Any] = {
        f.name: getattr(changes, f.name) for f in fields(changes) if getattr(changes, f.name) is not UNSET
    }
    _check(status=values.get("status"), priority=values.get("priority"))
    if "status" in values:
        values["resolved_at"] = _resolved_at(values["status"])
    stmt = update(cases).where(cases.c.id == case_id)
    if expected_version is not None:
        stmt = stmt.where(cases.c.version == expected_version)
    stmt = stmt.values(**values, version=cases.c.version + 1, updated_at=func.now())
    if (await session.execute(stmt.returning(cases.c.id))).first() is None:
        raise await _gone_or_stale(session, case_id, expected_version)
    await session.commit()
    return await get_case(session=session, case_id=case_id)


async def add_case_note(*, session: AsyncSession, case_id: UUID, author: str, body: str) -> CaseNote:
    stmt = insert(case_notes).values(case_id=case_id, author=author, body=body).returning(*case_notes.c)
    try:
        row = (await session.execute(stmt)).mappings().one()
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise NotFound("case", case_id) from exc
    return CaseNote(**row)


async def open_cases_for_customer(*, session: AsyncSession, customer_id: UUID, limit: int = 5) -> list[Case]:
    """The customer's open and pending cases, for the screen-pop: most urgent first (priority, then the
    nearest SLA deadline), then newest."""
    query = (
        select(cases)
        .where(cases.c.customer_id == customer_id, cases.c.status.in_(OPEN_STATUSES))
        .order_by(
            cases.c.priority.desc(), cases.c.sla_due_at.asc().nulls_last(), cases.c.created_at.desc(),
            cases.c.id.desc(),
        )
        .limit(limit)
    )
    return [_case(row) for row in (await session.execute(query)).mappings()]


def _check(*, status: str | None, priority: int | None) -> None:
    problems = []
    if status is not None and status not in CASE_STATUSES:
        problems.append(FieldError(("status",), f"must be one of {', '.join(CASE_STATUSES)}"))
    if priority is not None and not 0 <= priority <= MAX_PRIORITY:
        problems.append(FieldError(("priority",), f"must be 0 to {MAX_PRIORITY}"))
    if problems:
        raise InvalidInput(problems)


def _resolved_at(status: str) -> Any:
    """The new `resolved_at`, as SQL: kept when the case was resolved already, else now; None unless resolving."""
    if status != "resolved":
        return None
    return case((cases.c.status == "resolved", cases.c.resolved_at), else_=func.now())


def _case(row: RowMapping) -> Case:
    return Case(**{f.name: row[f.name] for f in fields(Case)})


async def _gone_or_stale(session: AsyncSession, case_id: UUID, expected_version: int | None) -> CrmError:
    return await gone_or_stale(
        session, what="case", key=cases.c.id, version=cases.c.version, ident=case_id, expected=expected_version
    )
