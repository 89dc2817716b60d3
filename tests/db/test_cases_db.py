"""Cases and call dispositions in PostgreSQL: the case lifecycle, notes, filters and paging, a call's
dispositions replaced per agent, and what the screen-pop reads about a customer."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ccserver.crm import cases, dispositions
from ccserver.crm.agents import create_agent, delete_agent
from ccserver.crm.cases import CaseChanges, CaseFilters
from ccserver.crm.customers import PhoneInput, create_customer
from ccserver.crm.database import session_factory
from ccserver.crm.errors import InvalidInput, NotFound, VersionMismatch
from ccserver.crm.migrate import run_migrations
from ccserver.crm.tables import calls, metadata
from ccserver.settings import Settings

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DEFAULT_CODES = {
    "resolved": True, "follow_up": False, "escalated": False, "callback_requested": False, "wrong_number": False,
    "no_answer_voicemail": False,
}
CASE_TABLES = {"cases", "case_notes", "dispositions", "call_dispositions"}


@pytest.fixture
async def session(db_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with session_factory(db_engine)() as session:
        yield session


def a_phone() -> str:
    return f"+1628{random.randint(2, 9)}{random.randint(0, 999999):06d}"


async def a_customer(session: AsyncSession, phone: str | None = None) -> uuid.UUID:
    phones = [PhoneInput(phone)] if phone else []
    customer = await create_customer(session=session, name="Grace Hopper", default_region="US", phones=phones)
    return customer.id


async def an_agent(session: AsyncSession) -> uuid.UUID:
    extension = str(random.randint(10**8, 10**9 - 1))
    return (await create_agent(session=session, extension=extension, name="Ada", sip_password="correct-horse")).id


async def a_code(session: AsyncSession, *, active: bool = True, resolves: bool = False) -> str:
    code = f"code-{uuid.uuid4().hex[:8]}"
    await dispositions.create_disposition(session=session, code=code, label=code, resolves=resolves, active=active)
    return code


async def a_call(engine: AsyncEngine, *, started_at: datetime = T0, **fields: object) -> uuid.UUID:
    call_id = uuid.uuid4()
    row = {
        "id": call_id, "switch_id": "pbx-cases", "linkedid": call_id.hex, "direction": "inbound", "state": "ended",
        "outcome": "answered", "started_at": started_at, **fields,
    }
    async with engine.begin() as conn:
        await conn.execute(insert(calls).values(row))
    return call_id


async def test_migration_ships_the_default_disposition_codes(session: AsyncSession) -> None:
    shipped = {d.code: d for d in await dispositions.list_dispositions(session=session)}

    assert {code: shipped[code].resolves for code in DEFAULT_CODES} == DEFAULT_CODES
    assert shipped["resolved"].label == "Resolved" and shipped["resolved"].active


async def test_downgrade_of_0004_drops_only_its_tables_and_upgrade_brings_the_codes_back(empty_db_url: str) -> None:
    await asyncio.to_thread(run_migrations, database_url=empty_db_url, revision="head")
    dsn = Settings(database_url=empty_db_url).asyncpg_dsn

    await asyncio.to_thread(run_migrations, database_url=empty_db_url, revision="0003_acd", downgrade=True)
    assert await _tables(dsn) == (set(metadata.tables) - CASE_TABLES) | {"alembic_version"}

    await asyncio.to_thread(run_migrations, database_url=empty_db_url, revision="head")
    conn = await asyncpg.connect(dsn)
    try:
        codes = {r["code"] for r in await conn.fetch("SELECT code FROM dispositions")}
    finally:
        await conn.close()
    assert codes == set(DEFAULT_CODES)


async def _tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    finally:
        await conn.close()


async def test_case_goes_open_pending_resolved_and_reopening_clears_resolved_at(session: AsyncSession) -> None:
    created = await cases.create_case(session=session, subject="Charged twice", created_by="key:test")
    case_id = created.case.id
    assert (created.case.status, created.case.resolved_at, created.case.version) == ("open", None, 1)

    pending = await cases.update_case(session=session, case_id=case_id, changes=CaseChanges(status="pending"))
    assert (pending.case.status, pending.case.resolved_at, pending.case.version) == ("pending", None, 2)

    resolved = await cases.update_case(session=session, case_id=case_id, changes=CaseChanges(status="resolved"))
    assert resolved.case.status == "resolved" and resolved.case.resolved_at is not None

    retitled = await cases.update_case(
        session=session, case_id=case_id, changes=CaseChanges(status="resolved", subject="Charged twice (refunded)")
    )
    assert retitled.case.resolved_at == resolved.case.resolved_at  # resolving again keeps the first time

    reopened = await cases.update_case(session=session, case_id=case_id, changes=CaseChanges(status="open"))
    assert (reopened.case.status, reopened.case.resolved_at, reopened.case.version) == ("open", None, 5)
    assert reopened.case.subject == "Charged twice (refunded)"


async def test_the_table_refuses_a_resolved_case_without_resolved_at(session: AsyncSession) -> None:
    case_id = (await cases.create_case(session=session, subject="x", created_by="key:test")).case.id

    with pytest.raises(IntegrityError, match="ck_cases_resolved_at"):
        await session.execute(update(cases.cases).where(cases.cases.c.id == case_id).values(status="resolved"))
    await session.rollback()


async def test_a_case_created_resolved_is_stamped_and_sla_can_be_removed(session: AsyncSession) -> None:
    due = T0 + timedelta(days=2)
    created = await cases.create_case(
        session=session, subject="Done on the call", created_by="key:test", status="resolved", sla_due_at=due
    )
    assert created.case.resolved_at is not None and created.case.sla_due_at == due

    cleared = await cases.update_case(session=session, case_id=created.case.id, changes=CaseChanges(sla_due_at=None))
    assert cleared.case.sla_due_at is None and cleared.case.status == "resolved"


async def test_notes_come_back_oldest_first_with_their_authors(session: AsyncSession) -> None:
    created = await cases.create_case(session=session, subject="Router", created_by="agent:a1", note="Rebooted it")
    await cases.add_case_note(session=session, case_id=created.case.id, author="key:crm", body="Replacement sent")

    detail = await cases.get_case(session=session, case_id=created.case.id)

    assert [(n.author, n.body) for n in detail.notes] == [("agent:a1", "Rebooted it"), ("key:crm", "Replacement sent")]
    assert detail.case.version == 1  # notes do not edit the case


async def test_a_note_on_a_missing_case_is_not_found(session: AsyncSession) -> None:
    with pytest.raises(NotFound):
        await cases.add_case_note(session=session, case_id=uuid.uuid4(), author="key:x", body="hello")


async def test_stale_version_is_refused_and_a_missing_case_is_not_found(session: AsyncSession) -> None:
    case_id = (await cases.create_case(session=session, subject="x", created_by="key:test")).case.id
    await cases.update_case(session=session, case_id=case_id, changes=CaseChanges(priority=3), expected_version=1)

    with pytest.raises(VersionMismatch) as stale:
        await cases.update_case(session=session, case_id=case_id, changes=CaseChanges(priority=5), expected_version=1)
    assert stale.value.current == 2
    with pytest.raises(NotFound):
        await cases.update_case(session=session, case_id=uuid.uuid4(), changes=CaseChanges(priority=5))
    assert (await cases.get_case(session=session, case_id=case_id)).case.priority == 3


async def test_bad_status_priority_and_unknown_customer_are_invalid_input(session: AsyncSession) -> None:
    with pytest.raises(InvalidInput) as bad:
        await cases.create_case(session=session, subject="x", created_by="key:t", status="closed", priority=12)
    assert {e.loc for e in bad.value.errors} == {("status",), ("priority",)}

    with pytest.raises(InvalidInput) as unknown:
        await cases.create_case(session=session, subject="x", created_by="key:t", customer_id=uuid.uuid4())
    assert [e.loc for e in unknown.value.errors] == [("customer_id",)]


async def test_cases_filter_by_customer_status_and_call_and_page_newest_first(session: AsyncSession) -> None:
    customer_id, call_id = await a_customer(session), uuid.uuid4()
    made = []
    for i in range(5):
        detail = await cases.create_case(
            session=session, subject=f"case {i}", created_by="key:test", customer_id=customer_id,
            call_id=call_id if i % 2 == 0 else None,
        )
        made.append(detail.case.id)
    await cases.update_case(session=session, case_id=made[1], changes=CaseChanges(status="pending"))

    seen, cursor = [], None
    while True:
        page = await cases.list_cases(
            session=session, filters=CaseFilters(customer_id=customer_id), limit=2, cursor=cursor
        )
        seen += [c.id for c in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == made[::-1]

    pending = await cases.list_cases(session=session, filters=CaseFilters(customer_id=customer_id, status="pending"),
                                     limit=10)
    assert [c.id for c in pending.items] == [made[1]]
    from_call = await cases.list_cases(session=session, filters=CaseFilters(call_id=call_id), limit=10)
    assert [c.id for c in from_call.items] == [made[4], made[2], made[0]]


async def test_open_cases_for_the_screen_pop_are_most_urgent_first(session: AsyncSession) -> None:
    customer_id = await a_customer(session)

    async def make(subject: str, **fields: Any) -> uuid.UUID:
        detail = await cases.create_case(
            session=session, subject=subject, created_by="key:test", customer_id=customer_id, **fields
        )
        return detail.case.id

    routine = await make("routine")
    due_soon = await make("due soon", priority=5, sla_due_at=T0 + timedelta(days=1))
    due_later = await make("due later", priority=5, sla_due_at=T0 + timedelta(days=3))  # newer, yet after
    no_deadline = await make("no deadline", priority=5)
    await make("done", priority=9, status="resolved")
    waiting = await make("waiting on customer", priority=1, status="pending")
    await cases.create_case(session=session, subject="someone else's", created_by="key:test", priority=9)

    found = await cases.open_cases_for_customer(session=session, customer_id=customer_id, limit=10)
    assert [c.id for c in found] == [due_soon, due_later, no_deadline, waiting, routine]
    assert len(await cases.open_cases_for_customer(session=session, customer_id=customer_id, limit=2)) == 2


async def test_setting_a_disposition_again_replaces_that_agents_one(session: AsyncSession) -> None:
    call_id, ada, bob = uuid.uuid4(), await an_agent(session), await an_agent(session)

    first, created = await dispositions.set_call_disposition(
        session=session, call_id=call_id, code="follow_up", agent_id=ada, notes="will call back"
    )
    assert created
    again, created_again = await dispositions.set_call_disposition(
        session=session, call_id=call_id, code="resolved", agent_id=ada
    )
    assert not created_again and again.id == first.id
    await dispositions.set_call_disposition(session=session, call_id=call_id, code="escalated", agent_id=bob)

    found = await dispositions.list_call_dispositions(session=session, call_id=call_id)
    assert [(d.agent_id, d.code, d.resolves, d.notes) for d in found] == [
        (ada, "resolved", True, None), (bob, "escalated", False, None)
    ]


async def test_a_disposition_without_an_agent_is_replaced_too(session: AsyncSession) -> None:
    call_id = uuid.uuid4()
    await dispositions.set_call_disposition(session=session, call_id=call_id, code="follow_up")
    _, created = await dispositions.set_call_disposition(session=session, call_id=call_id, code="wrong_number")

    found = await dispositions.list_call_dispositions(session=session, call_id=call_id)
    assert not created and [(d.agent_id, d.code) for d in found] == [(None, "wrong_number")]


async def test_concurrent_dispositions_of_one_agent_leave_one_row(db_engine: AsyncEngine) -> None:
    sessions = session_factory(db_engine)
    call_id = uuid.uuid4()

    async def set_one(code: str) -> None:
        async with sessions() as session:
            await dispositions.set_call_disposition(session=session, call_id=call_id, code=code)

    await asyncio.gather(*(set_one(code) for code in ("follow_up", "escalated", "wrong_number") * 3))

    async with sessions() as session:
        assert len(await dispositions.list_call_dispositions(session=session, call_id=call_id)) == 1


async def test_unknown_or_retired_code_and_unknown_agent_are_refused(session: AsyncSession) -> None:
    retired = await a_code(session, active=False)

    for code in ("no-such-code", retired):
        with pytest.raises(InvalidInput) as refused:
            await dispositions.set_call_disposition(session=session, call_id=uuid.uuid4(), code=code)
        assert [e.loc for e in refused.value.errors] == [("code",)]
    with pytest.raises(InvalidInput) as no_agent:
        await dispositions.set_call_disposition(
            session=session, call_id=uuid.uuid4(), code="resolved", agent_id=uuid.uuid4()
        )
    assert [e.loc for e in no_agent.value.errors] == [("agent_id",)]


async def test_a_deleted_agents_dispositions_stay_without_the_agent(session: AsyncSession) -> None:
    call_id, agent_id = uuid.uuid4(), await an_agent(session)
    await dispositions.set_call_disposition(session=session, call_id=call_id, code="resolved", agent_id=agent_id)

    await delete_agent(session=session, agent_id=agent_id)

    found = await dispositions.list_call_dispositions(session=session, call_id=call_id)
    assert [(d.agent_id, d.code) for d in found] == [(None, "resolved")]


async def test_dispositions_of_an_unknown_call_are_not_found_but_an_unjournaled_one_is_listed(
    session: AsyncSession, db_engine: AsyncEngine
) -> None:
    with pytest.raises(NotFound):
        await dispositions.list_call_dispositions(session=session, call_id=uuid.uuid4())
    journaled = await a_call(db_engine)
    assert await dispositions.list_call_dispositions(session=session, call_id=journaled) == []


async def test_put_creates_then_replaces_a_code_and_retiring_keeps_it_listed(session: AsyncSession) -> None:
    code = f"code-{uuid.uuid4().hex[:8]}"

    made, created = await dispositions.put_disposition(
        session=session, code=code, label="Sold", resolves=True, active=True
    )
    retired, created_again = await dispositions.put_disposition(
        session=session, code=code, label="Sold (old)", resolves=True, active=False
    )

    assert created and not created_again
    assert (retired.label, retired.active, retired.created_at) == ("Sold (old)", False, made.created_at)
    active = {d.code for d in await dispositions.list_dispositions(session=session, active_only=True)}
    every = {d.code for d in await dispositions.list_dispositions(session=session)}
    assert code in every and code not in active


async def test_recent_interactions_are_the_customers_calls_newest_first_with_dispositions(
    session: AsyncSession, db_engine: AsyncEngine
) -> None:
    phone = a_phone()
    customer_id = await a_customer(session, phone)
    matched = await a_call(db_engine, started_at=T0, customer_id=customer_id, caller_e164="+14155550100")
    before_the_phone_was_known = await a_call(db_engine, started_at=T0 + timedelta(hours=1), caller_e164=phone)
    latest = await a_call(db_engine, started_at=T0 + timedelta(hours=2), customer_id=customer_id)
    await a_call(db_engine, started_at=T0 + timedelta(hours=3), caller_e164=a_phone())  # someone else
    other = await a_customer(session)
    await a_call(db_engine, started_at=T0 + timedelta(hours=4), caller_e164=phone, customer_id=other)  # shared line
    await dispositions.set_call_disposition(session=session, call_id=latest, code="follow_up", notes="send invoice")

    found = await dispositions.recent_interactions(session=session, customer_id=customer_id, limit=10)

    assert [i.call_id for i in found] == [latest, before_the_phone_was_known, matched]
    assert [(d.code, d.notes) for d in found[0].dispositions] == [("follow_up", "send invoice")]
    assert found[1].dispositions == [] and found[1].caller_e164 == phone
    assert [i.call_id for i in await dispositions.recent_interactions(
        session=session, customer_id=customer_id, limit=2
    )] == [latest, before_the_phone_was_known]
