"""Queues: skill requirements, priority, service-level target, waits, wrap-up, announcements, overflow and
escalation steps. Keyword-only service functions; `put_queue` does not commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.acd_config import known_queues, known_skills
from ccserver.crm.acd_model import QueueConfig, queue_problems
from ccserver.crm.errors import Conflict, CrmError, InvalidInput, NotFound
from ccserver.crm.tables import queues
from ccserver.crm.versions import gone_or_stale


@dataclass(frozen=True, slots=True)
class Queue:
    name: str
    config: QueueConfig
    version: int
    created_at: datetime
    updated_at: datetime


async def create_queue(*, session: AsyncSession, name: str, config: QueueConfig) -> Queue:
    await _check(session, name, config)
    try:
        await session.execute(insert(queues).values(name=name, **_row(config)))
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(f"queue {name!r} already exists") from exc
    return await get_queue(session=session, name=name)


async def get_queue(*, session: AsyncSession, name: str) -> Queue:
    row = (await session.execute(select(queues).where(queues.c.name == name))).mappings().first()
    if row is None:
        raise NotFound("queue", name)
    return _queue(row)


async def list_queues(*, session: AsyncSession) -> list[Queue]:
    return [_queue(row) for row in (await session.execute(select(queues).order_by(queues.c.name))).mappings()]


async def update_queue(
    *, session: AsyncSession, name: str, config: QueueConfig, expected_version: int | None = None
) -> Queue:
    """Replace the queue's configuration and bump `version`; VersionMismatch if `expected_version` is stale."""
    await _check(session, name, config)
    stmt = update(queues).where(queues.c.name == name)
    if expected_version is not None:
        stmt = stmt.where(queues.c.version == expected_version)
    stmt = stmt.values(**_row(config), version=queues.c.version + 1, updated_at=func.now())
    if (await session.execute(stmt.returning(queues.c.name))).first() is None:
        raise await _gone_or_stale(session, name, expected_version)
    await session.commit()
    return await get_queue(session=session, name=name)


async def delete_queue(*, session: AsyncSession, name: str, expected_version: int | None = None) -> None:
    """Remove a queue no other queue sends calls to (by overflow or an escalation step)."""
    users = await queues_sending_to(session=session, name=name)
    if users:
        raise Conflict(f"queue {name!r} receives calls from {', '.join(users)}: change those first")
    stmt = delete(queues).where(queues.c.name == name)
    if expected_version is not None:
        stmt = stmt.where(queues.c.version == expected_version)
    if (await session.execute(stmt.returning(queues.c.name))).first() is None:
        raise await _gone_or_stale(session, name, expected_version)
    await session.commit()


async def queues_sending_to(*, session: AsyncSession, name: str) -> list[str]:
    """Other queues naming `name` as overflow or in an escalation step."""
    names_it = or_(queues.c.overflow_queue == name, queues.c.escalation.contains([{"queue": name}]))
    query = select(queues.c.name).where(names_it, queues.c.name != name).order_by(queues.c.name)
    return list((await session.execute(query)).scalars())


async def put_queue(*, session: AsyncSession, name: str, config: QueueConfig) -> str:
    """Create or replace the queue from a full description (`acd.yaml`), unchecked; does not commit.
    Returns created, updated or unchanged; `version` moves only on a change."""
    row = (await session.execute(select(queues).where(queues.c.name == name))).mappings().first()
    if row is None:
        await session.execute(insert(queues).values(name=name, **_row(config)))
        return "created"
    if _queue(row).config == config:
        return "unchanged"
    values = {**_row(config), "version": queues.c.version + 1, "updated_at": func.now()}
    await session.execute(update(queues).where(queues.c.name == name).values(values))
    return "updated"


async def _check(session: AsyncSession, name: str, config: QueueConfig) -> None:
    skills = await known_skills(session=session)
    problems = queue_problems(name, config, skills=skills, queues=await known_queues(session=session))
    if problems:
        raise InvalidInput(problems)


def _row(config: QueueConfig) -> dict[str, Any]:
    row = config.model_dump(mode="json", exclude={"escalation"})
    row["escalation"] = [step.model_dump(mode="json", exclude_none=True) for step in config.escalation]
    return row


def _queue(row: RowMapping) -> Queue:
    config = QueueConfig.model_validate({name: row[name] for name in QueueConfig.model_fields})
    return Queue(
        name=row["name"], config=config, version=row["version"], created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _gone_or_stale(session: AsyncSession, name: str, expected_version: int | None) -> CrmError:
    return await gone_or_stale(
        session, what="queue", key=queues.c.name, version=queues.c.version, ident=name, expected=expected_version
    )
