"""Disposition codes (what an agent picks at the end of a call) and each call's dispositions, one per agent.
Keyword-only service functions; each write commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.errors import Conflict, FieldError, InvalidInput, NotFound
from ccserver.crm.tables import agents, call_dispositions, calls, contacts, dispositions

# First key of the advisory lock that serialises dispositions of one call (the second is the call's hash).
_CALL_LOCK_SPACE = 0x64697370  # "disp"


@dataclass(frozen=True, slots=True)
class Disposition:
    code: str
    label: str
    resolves: bool
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CallDisposition:
    id: int
    call_id: UUID
    agent_id: UUID | None  # None: set for the call as a whole, or the agent was deleted
    code: str
    label: str
    resolves: bool
    notes: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Interaction:
    """One of a customer's calls, as the screen-pop shows it."""

    call_id: UUID
    direction: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    caller_e164: str | None
    dispositions: list[CallDisposition]


async def list_dispositions(*, session: AsyncSession, active_only: bool = False) -> list[Disposition]:
    query = select(dispositions).order_by(dispositions.c.code)
    if active_only:
        query = query.where(dispositions.c.active)
    return [Disposition(**row) for row in (await session.execute(query)).mappings()]


async def get_disposition(*, session: AsyncSession, code: str) -> Disposition:
    row = (await session.execute(select(dispositions).where(dispositions.c.code == code))).mappings().first()
    if row is None:
        raise NotFound("disposition", code)
    return Disposition(**row)


async def create_disposition(
    *, session: AsyncSession, code: str, label: str, resolves: bool = False, active: bool = True
) -> Disposition:
    stmt = insert(dispositions).values(code=code, label=label, resolves=resolves, active=active)
    try:
        row = (await session.execute(stmt.returning(*dispositions.c))).mappings().one()
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"disposition {code!r} already exists") from exc
    return Disposition(**row)


async def put_disposition(
    *, session: AsyncSession, code: str, label: str, resolves: bool, active: bool
) -> tuple[Disposition, bool]:
    """Create the code or replace its label and flags, and commit; (the code, whether it was created).
    Deactivating keeps it on past calls but refuses it for new ones."""
    values = {"label": label, "resolves": resolves, "active": active}
    stmt = update(dispositions).where(dispositions.c.code == code).values(values).returning(*dispositions.c)
    row = (await session.execute(stmt)).mappings().first()
    created = row is None
    if created:
        try:
            new = insert(dispositions).values(code=code, **values).returning(*dispositions.c)
            row = (await session.execute(new)).mappings().one()
        except IntegrityError as exc:  # another request created it meanwhile
            await session.rollback()
            raise Conflict(f"disposition {code!r} was created meanwhile; send it again") from exc
    await session.commit()
    assert row is not None
    return Disposition(**row), created


async def set_call_disposition(
    *, session: AsyncSession, call_id: UUID, code: str, agent_id: UUID | None = None, notes: str | None = None
) -> tuple[CallDisposition, bool]:
    """Record what `agent_id` (None: nobody in particular) made of the call, replacing what it said before,
    and commit; (the disposition, whether it is new). The code must exist and be active. The call need not
    be in the journal yet."""
    await _check_settable(session, code=code, agent_id=agent_id)
    # NULL agent ids are distinct to the unique constraint, so "replace, else insert" is kept race-free
    # by locking the call instead of by ON CONFLICT.
    await session.execute(select(func.pg_advisory_xact_lock(literal(_CALL_LOCK_SPACE), func.hashtext(str(call_id)))))
    same = and_(call_dispositions.c.call_id == call_id, call_dispositions.c.agent_id.is_not_distinct_from(agent_id))
    values = {"code": code, "notes": notes, "at": func.now()}
    try:
        replaced = await session.execute(
            update(call_dispositions).where(same).values(values).returning(call_dispositions.c.id)
        )
        disposition_id = replaced.scalar_one_or_none()
        created = disposition_id is None
        if created:
            inserted = insert(call_dispositions).values(call_id=call_id, agent_id=agent_id, **values)
            disposition_id = (await session.execute(inserted.returning(call_dispositions.c.id))).scalar_one()
        await session.commit()
    except IntegrityError as exc:  # the agent was deleted since the check
        await session.rollback()
        raise InvalidInput([FieldError(("agent_id",), f"no agent {agent_id}")]) from exc
    found = await _call_dispositions(session, call_dispositions.c.id == disposition_id)
    return found[0], created


async def list_call_dispositions(*, session: AsyncSession, call_id: UUID) -> list[CallDisposition]:
    """The call's dispositions, oldest first; NotFound if there are none and the journal has no such call."""
    found = await _call_dispositions(session, call_dispositions.c.call_id == call_id)
    if not found and (await session.execute(select(calls.c.id).where(calls.c.id == call_id))).first() is None:
        raise NotFound("call", call_id)
    return found


async def recent_interactions(*, session: AsyncSession, customer_id: UUID, limit: int = 5) -> list[Interaction]:
    """The customer's last `limit` calls, newest first, with their dispositions. A call is the customer's
    when the journal matched it to them, or when it came from one of their phones before they had it."""
    phones = select(contacts.c.e164).where(contacts.c.customer_id == customer_id, contacts.c.kind == "phone")
    theirs = or_(
        calls.c.customer_id == customer_id, and_(calls.c.customer_id.is_(None), calls.c.caller_e164.in_(phones))
    )
    query = (
        select(
            calls.c.id, calls.c.direction, calls.c.started_at, calls.c.answered_at, calls.c.ended_at,
            calls.c.outcome, calls.c.caller_e164,
        )
        .where(theirs).order_by(calls.c.started_at.desc(), calls.c.id.desc()).limit(limit)
    )
    rows = list((await session.execute(query)).mappings())
    by_call = await _by_call(session, [row["id"] for row in rows])
    return [
        Interaction(
            call_id=row["id"], direction=row["direction"], started_at=row["started_at"],
            answered_at=row["answered_at"], ended_at=row["ended_at"], outcome=row["outcome"],
            caller_e164=row["caller_e164"], dispositions=by_call.get(row["id"], []),
        )
        for row in rows
    ]


async def _check_settable(session: AsyncSession, *, code: str, agent_id: UUID | None) -> None:
    active = (
        await session.execute(select(dispositions.c.active).where(dispositions.c.code == code))
    ).scalar_one_or_none()
    problems = []
    if active is None:
        problems.append(FieldError(("code",), f"unknown disposition code {code!r}"))
    elif not active:
        problems.append(FieldError(("code",), f"disposition code {code!r} is no longer in use"))
    known_agent = select(agents.c.id).where(agents.c.id == agent_id)
    if agent_id is not None and (await session.execute(known_agent)).first() is None:
        problems.append(FieldError(("agent_id",), f"no agent {agent_id}"))
    if problems:
        raise InvalidInput(problems)


async def _by_call(session: AsyncSession, call_ids: Sequence[UUID]) -> dict[UUID, list[CallDisposition]]:
    found: dict[UUID, list[CallDisposition]] = {}
    if call_ids:
        for disposition in await _call_dispositions(session, call_dispositions.c.call_id.in_(call_ids)):
            found.setdefault(disposition.call_id, []).append(disposition)
    return found


async def _call_dispositions(session: AsyncSession, where: ColumnElement[bool]) -> list[CallDisposition]:
    query = (
        select(*call_dispositions.c, dispositions.c.label, dispositions.c.resolves)
        .join(dispositions, dispositions.c.code == call_dispositions.c.code)
        .where(where)
        .order_by(call_dispositions.c.at, call_dispositions.c.id)
    )
    return [CallDisposition(**row) for row in (await session.execute(query)).mappings()]
