"""Skills and not-ready reason codes: the small vocabularies agents and queues are built from.

`put_*` functions write without committing, for callers (the `acd.yaml` loader) that apply many changes
in one transaction; the others commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.errors import Conflict
from ccserver.crm.tables import not_ready_reasons, queues, skills


@dataclass(frozen=True, slots=True)
class Skill:
    name: str
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NotReadyReason:
    code: str
    label: str
    productive: bool
    created_at: datetime


async def list_skills(*, session: AsyncSession) -> list[Skill]:
    rows = (await session.execute(select(skills).order_by(skills.c.name))).mappings()
    return [Skill(**row) for row in rows]


async def create_skill(*, session: AsyncSession, name: str, description: str | None = None) -> Skill:
    stmt = insert(skills).values(name=name, description=description).on_conflict_do_nothing()
    row = (await session.execute(stmt.returning(*skills.c))).mappings().first()
    if row is None:
        await session.rollback()
        raise Conflict(f"skill {name!r} already exists")
    await session.commit()
    return Skill(**row)


async def put_skill(*, session: AsyncSession, name: str, description: str | None) -> None:
    """Create or update a skill; does not commit."""
    stmt = insert(skills).values(name=name, description=description)
    await session.execute(stmt.on_conflict_do_update(index_elements=[skills.c.name], set_={"description": description}))


async def known_skills(*, session: AsyncSession) -> set[str]:
    return set((await session.execute(select(skills.c.name))).scalars())


async def known_queues(*, session: AsyncSession) -> set[str]:
    return set((await session.execute(select(queues.c.name))).scalars())


async def list_reasons(*, session: AsyncSession) -> list[NotReadyReason]:
    rows = (await session.execute(select(not_ready_reasons).order_by(not_ready_reasons.c.code))).mappings()
    return [NotReadyReason(**row) for row in rows]


async def create_reason(*, session: AsyncSession, code: str, label: str, productive: bool = False) -> NotReadyReason:
    stmt = insert(not_ready_reasons).values(code=code, label=label, productive=productive).on_conflict_do_nothing()
    row = (await session.execute(stmt.returning(*not_ready_reasons.c))).mappings().first()
    if row is None:
        await session.rollback()
        raise Conflict(f"not-ready reason {code!r} already exists")
    await session.commit()
    return NotReadyReason(**row)


async def put_reason(*, session: AsyncSession, code: str, label: str, productive: bool) -> None:
    """Create or update a reason code; does not commit."""
    stmt = insert(not_ready_reasons).values(code=code, label=label, productive=productive)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[not_ready_reasons.c.code], set_={"label": label, "productive": productive}
        )
    )


async def reason_exists(*, session: AsyncSession, code: str) -> bool:
    query = select(not_ready_reasons.c.code).where(not_ready_reasons.c.code == code)
    return (await session.execute(query)).first() is not None
