"""Queues' figures for a day from the ACD's journal events in PostgreSQL: offered, answered, abandoned,
answered within each queue's own threshold, ASA and service level."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from acd_events import AcdEvents
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.acd_stats import QueueFigures, queue_figures, start_of_day
from ccserver.crm.database import session_factory

DAY = datetime(2025, 3, 4, tzinfo=UTC)


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def names() -> tuple[str, str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"billing-{tag}", f"sales-{tag}", f"quiet-{tag}"


async def figures(db_engine: AsyncEngine, thresholds: dict[str, float], **window: datetime) -> dict[str, QueueFigures]:
    async with session_factory(db_engine)() as session:
        return await queue_figures(session=session, thresholds_s=thresholds, start=window.get("start", DAY),
                                   end=window.get("end"))


async def test_a_days_figures_per_queue_against_each_queues_own_threshold(
    db_engine: AsyncEngine, acd_events: AcdEvents
) -> None:
    billing, sales, quiet = names()
    for hour in (9, 9.1, 9.2, 9.3, 9.4):
        await acd_events.add("Queued", at(hour), Queue=billing)
    await acd_events.add("Answered", at(9.01), Queue=billing, WaitedS="5.000", AgentId="ann")
    await acd_events.add("Answered", at(9.11), Queue=billing, WaitedS="20.000", AgentId="bob")  # on the line: in
    await acd_events.add("Answered", at(9.21), Queue=billing, WaitedS="35.500", AgentId="ann")
    await acd_events.add("Left", at(9.31), Queue=billing, WaitedS="50.000", Reason="abandoned")
    await acd_events.add("Left", at(9.41), Queue=billing, WaitedS="3.000", Reason="transferred")  # not abandoned
    await acd_events.add("Offered", at(9.01), Queue=billing, AgentId="ann")  # neither offered nor answered
    await acd_events.add("Queued", at(10), Queue=sales)
    await acd_events.add("Answered", at(10.01), Queue=sales, WaitedS="25.000", AgentId="cid")

    result = await figures(db_engine, {billing: 20.0, sales: 30.0, quiet: 20.0})

    assert result[billing] == QueueFigures(
        billing, offered=5, answered=3, abandoned=1, answered_within_sl=2,
        asa_s=pytest.approx((5 + 20 + 35.5) / 3), service_level_pct=pytest.approx(50.0),  # 2 of 3 answered + 1 lost
    )
    assert result[sales] == QueueFigures(sales, offered=1, answered=1, answered_within_sl=1, asa_s=25.0,
                                         service_level_pct=100.0)  # 25 s is within sales' 30 s
    assert result[quiet] == QueueFigures(quiet)  # no calls: zeroes, and no ASA or service level


async def test_only_events_in_the_window_count(db_engine: AsyncEngine, acd_events: AcdEvents) -> None:
    billing, _, _ = names()
    await acd_events.add("Answered", DAY - timedelta(seconds=1), Queue=billing, WaitedS="1.000")  # yesterday
    await acd_events.add("Answered", DAY, Queue=billing, WaitedS="2.000")
    await acd_events.add("Left", at(23.99), Queue=billing, WaitedS="90.000", Reason="abandoned")
    await acd_events.add("Answered", DAY + timedelta(days=1), Queue=billing, WaitedS="4.000")  # tomorrow

    today = await figures(db_engine, {billing: 20.0}, end=DAY + timedelta(days=1))
    from_start = await figures(db_engine, {billing: 20.0})

    assert today[billing] == QueueFigures(billing, answered=1, abandoned=1, answered_within_sl=1, asa_s=2.0,
                                          service_level_pct=50.0)
    assert (from_start[billing].answered, from_start[billing].asa_s) == (2, 3.0)


async def test_abandoned_only_is_zero_service_level_and_no_asa(db_engine: AsyncEngine, acd_events: AcdEvents) -> None:
    billing, _, _ = names()
    await acd_events.add("Queued", at(8), Queue=billing)
    await acd_events.add("Left", at(8.1), Queue=billing, WaitedS="12.000", Reason="abandoned")

    result = await figures(db_engine, {billing: 20.0})

    assert result[billing] == QueueFigures(billing, offered=1, abandoned=1, asa_s=None, service_level_pct=0.0)


async def test_no_queues_asked_reads_nothing(db_engine: AsyncEngine) -> None:
    assert await figures(db_engine, {}) == {}


def test_the_day_starts_at_midnight_utc() -> None:
    evening = datetime(2025, 3, 4, 18, 30, tzinfo=UTC)
    late_in_new_york = datetime.fromisoformat("2025-03-04T23:30:00-05:00")  # 04:30 UTC the next day

    assert start_of_day(evening) == DAY
    assert start_of_day(late_in_new_york) == DAY + timedelta(days=1)
