"""Agents: extension, name, skills with proficiency, capacity, and the SIP credentials of their softphone
(kept only as the digest HA1 Asterisk needs). Keyword-only service functions; `put_agent` does not commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.asterisk.pjsip_agents import PjsipAgent, digest_ha1
from ccserver.crm.acd_config import known_skills
from ccserver.crm.acd_model import skill_problems
from ccserver.crm.agent_states import AgentState, initial_state_row, state_from_row
from ccserver.crm.apikeys import ApiKey, Role, create_api_key
from ccserver.crm.cursors import newest_first_page
from ccserver.crm.errors import Conflict, CrmError, FieldError, InvalidInput, NotFound
from ccserver.crm.tables import agent_api_keys, agent_skills, agent_states, agents, api_keys
from ccserver.crm.versions import gone_or_stale

_FIELDS = ("id", "extension", "name", "max_concurrent", "active", "version", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class Agent:
    id: UUID
    extension: str
    name: str
    max_concurrent: int
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    skills: dict[str, int]
    state: AgentState


@dataclass(frozen=True, kw_only=True)
class AgentChanges:
    """A partial update: None leaves a field as it is. `skills` replaces the whole set."""

    name: str | None = None
    extension: str | None = None
    sip_password: str | None = None
    max_concurrent: int | None = None
    active: bool | None = None
    skills: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class AgentPage:
    items: list[Agent]
    next_cursor: str | None


async def create_agent(
    *,
    session: AsyncSession,
    extension: str,
    name: str,
    sip_password: str,
    max_concurrent: int = 1,
    active: bool = True,
    skills: Mapping[str, int] | None = None,
) -> Agent:
    await _check_skills(session, skills or {})
    values = {"extension": extension, "name": name, "max_concurrent": max_concurrent, "active": active}
    try:
        agent_id = await _insert(session, {**values, "sip_ha1": digest_ha1(extension, sip_password)})
        await _replace_skills(session, agent_id, skills or {})
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise _conflict(exc, extension) from exc
    return await get_agent(session=session, agent_id=agent_id)


async def get_agent(*, session: AsyncSession, agent_id: UUID) -> Agent:
    row = (await session.execute(_with_state().where(agents.c.id == agent_id))).mappings().first()
    if row is None:
        raise NotFound("agent", agent_id)
    return (await _with_skills(session, [row]))[0]


async def list_agents(
    *,
    session: AsyncSession,
    limit: int,
    cursor: str | None = None,
    skill: str | None = None,
    min_level: int = 1,
    extension: str | None = None,
) -> AgentPage:
    """Newest first, keyset-paginated on (created_at, id); `skill` keeps agents with it at `min_level`+."""
    query = _with_state()
    if skill is not None:
        having = select(agent_skills.c.agent_id).where(agent_skills.c.skill == skill, agent_skills.c.level >= min_level)
        query = query.where(agents.c.id.in_(having))
    if extension is not None:
        query = query.where(agents.c.extension == extension)
    rows, next_cursor = await newest_first_page(
        session, query, at=agents.c.created_at, row_id=agents.c.id, limit=limit, cursor=cursor
    )
    return AgentPage(items=await _with_skills(session, rows), next_cursor=next_cursor)


async def update_agent(
    *, session: AsyncSession, agent_id: UUID, changes: AgentChanges, expected_version: int | None = None
) -> Agent:
    """Apply `changes` and bump `version`. A new extension needs the password again: the digest holds both."""
    current = await get_agent(session=session, agent_id=agent_id)
    sent = {k: getattr(changes, k) for k in ("name", "extension", "max_concurrent", "active")}
    values: dict[str, Any] = {k: v for k, v in sent.items() if v is not None}
    extension = changes.extension or current.extension
    if changes.sip_password is not None:
        values["sip_ha1"] = digest_ha1(extension, changes.sip_password)
    elif extension != current.extension:
        raise InvalidInput([FieldError(("sip_password",), "required with a new extension (its digest includes it)")])
    if changes.active is False and current.state.state != "logged_out":
        raise Conflict(f"the agent is {current.state.state}: log it out before deactivating it")
    if changes.skills is not None:
        await _check_skills(session, changes.skills)
    try:
        await _bump(session, agent_id, expected_version, values)
        if changes.skills is not None:
            await _replace_skills(session, agent_id, changes.skills)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise _conflict(exc, extension) from exc
    return await get_agent(session=session, agent_id=agent_id)


async def delete_agent(*, session: AsyncSession, agent_id: UUID, expected_version: int | None = None) -> None:
    """Remove the agent (its state history stays in agent_state_log). Only a logged-out agent."""
    current = await get_agent(session=session, agent_id=agent_id)
    if current.state.state != "logged_out":
        raise Conflict(f"the agent is {current.state.state}: log it out before deleting it")
    stmt = delete(agents).where(agents.c.id == agent_id)
    if expected_version is not None:
        stmt = stmt.where(agents.c.version == expected_version)
    if (await session.execute(stmt.returning(agents.c.id))).first() is None:
        raise await _gone_or_stale(session, agent_id, expected_version)
    await session.commit()


async def put_agent(
    *, session: AsyncSession, extension: str, values: Mapping[str, Any], skills: Mapping[str, int]
) -> str:
    """Create or update the agent with this extension from a full description (`acd.yaml`); does not
    commit. `values`: name, max_concurrent, active and, optionally, sip_ha1. Returns created, updated
    or unchanged; `version` moves only on a change."""
    row = (await session.execute(select(agents).where(agents.c.extension == extension))).mappings().first()
    if row is None:
        agent_id = await _insert(session, {"extension": extension, **values})
        await _replace_skills(session, agent_id, skills)
        return "created"
    changed = {k: v for k, v in values.items() if row[k] != v}
    same_skills = (await _skills_of(session, [row["id"]]))[row["id"]] == dict(skills)
    if not changed and same_skills:
        return "unchanged"
    await _bump(session, row["id"], None, changed)
    if not same_skills:
        await _replace_skills(session, row["id"], skills)
    return "updated"


async def pjsip_agents(*, session: AsyncSession) -> list[PjsipAgent]:
    """The active agents, as the PJSIP endpoints their softphones register to."""
    query = select(agents.c.extension, agents.c.name, agents.c.sip_ha1).where(agents.c.active)
    rows = await session.execute(query.order_by(agents.c.extension))
    return [PjsipAgent(r.extension, r.name, r.sip_ha1) for r in rows]


async def create_agent_api_key(*, session: AsyncSession, agent_id: UUID, name: str) -> tuple[ApiKey, str]:
    """A new key of the agent role that acts for this agent only (shown once)."""
    await get_agent(session=session, agent_id=agent_id)
    key, text = await create_api_key(session=session, role=Role.AGENT, name=name)
    try:
        await session.execute(insert(agent_api_keys).values(api_key_id=key.id, agent_id=agent_id))
        await session.commit()
    except IntegrityError as exc:  # deleted meanwhile: the key must not outlive it unbound
        await session.rollback()
        await session.execute(update(api_keys).where(api_keys.c.id == key.id).values(revoked_at=func.now()))
        await session.commit()
        raise NotFound("agent", agent_id) from exc
    return key, text


async def agent_for_api_key(*, session: AsyncSession, api_key_id: UUID) -> UUID | None:
    query = select(agent_api_keys.c.agent_id).where(agent_api_keys.c.api_key_id == api_key_id)
    return (await session.execute(query)).scalar_one_or_none()


async def _insert(session: AsyncSession, values: Mapping[str, Any]) -> UUID:
    agent_id: UUID = (await session.execute(insert(agents).values(**values).returning(agents.c.id))).scalar_one()
    await session.execute(insert(agent_states).values(initial_state_row(agent_id, datetime.now(UTC))))
    return agent_id


async def _bump(session: AsyncSession, agent_id: UUID, expected_version: int | None, values: Mapping[str, Any]) -> None:
    stmt = update(agents).where(agents.c.id == agent_id)
    if expected_version is not None:
        stmt = stmt.where(agents.c.version == expected_version)
    stmt = stmt.values(**values, version=agents.c.version + 1, updated_at=func.now())
    if (await session.execute(stmt.returning(agents.c.id))).first() is None:
        raise await _gone_or_stale(session, agent_id, expected_version)


async def _replace_skills(session: AsyncSession, agent_id: UUID, skills: Mapping[str, int]) -> None:
    await session.execute(delete(agent_skills).where(agent_skills.c.agent_id == agent_id))
    if skills:
        rows = [{"agent_id": agent_id, "skill": skill, "level": level} for skill, level in skills.items()]
        await session.execute(insert(agent_skills), rows)


async def _check_skills(session: AsyncSession, skills: Mapping[str, int]) -> None:
    problems = skill_problems(skills, await known_skills(session=session), ("skills",))
    if problems:
        raise InvalidInput(problems)


def _with_state() -> Select[Any]:
    state = agent_states.c
    return select(*(agents.c[name] for name in _FIELDS), state.state, state.reason, state.since, state.call_id).join(
        agent_states, agent_states.c.agent_id == agents.c.id
    )


async def _skills_of(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, dict[str, int]]:
    query = select(agent_skills).where(agent_skills.c.agent_id.in_(ids)).order_by(agent_skills.c.skill)
    found: dict[UUID, dict[str, int]] = {agent_id: {} for agent_id in ids}
    for row in (await session.execute(query)).mappings():
        found[row["agent_id"]][row["skill"]] = row["level"]
    return found


async def _with_skills(session: AsyncSession, rows: Sequence[RowMapping]) -> list[Agent]:
    skills = await _skills_of(session, [row["id"] for row in rows])
    return [
        Agent(
            **{name: row[name] for name in _FIELDS},
            skills=skills[row["id"]],
            state=state_from_row(row),
        )
        for row in rows
    ]


async def _gone_or_stale(session: AsyncSession, agent_id: UUID, expected_version: int | None) -> CrmError:
    return await gone_or_stale(
        session, what="agent", key=agents.c.id, version=agents.c.version, ident=agent_id, expected=expected_version
    )


def _conflict(exc: IntegrityError, extension: str) -> Exception:
    if "extension" in str(exc.orig):
        return Conflict(f"another agent already has extension {extension}")
    return Conflict("the change conflicts with existing data")
