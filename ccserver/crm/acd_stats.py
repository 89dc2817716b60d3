"""Queues' figures for a time window, from the ACD's journal events (`ccserver.Acd*` call events,
ccserver/acd/journal.py): calls offered, answered, abandoned, answered within the service-level
threshold, ASA and service level. The wallboard and `/api/v1/queues/{name}/stats` read today's.

A call counts under the queue named in each event: offered where it queued (`AcdQueued`), answered or
abandoned in the queue it was in then (after an overflow, the queue it overflowed to). Waits
(`WaitedS`) count from when the call first queued.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Float, Text, and_, cast, column, func, select, values
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.tables import call_events

QUEUED, ANSWERED, LEFT = "ccserver.AcdQueued", "ccserver.AcdAnswered", "ccserver.AcdLeft"
ABANDONED = "abandoned"  # the `Reason` of an `AcdLeft` when the caller hung up


@dataclass(frozen=True, slots=True)
class QueueFigures:
    """`service_level_pct` = answered within the threshold / (answered + abandoned) x 100, None with
    neither; `asa_s` (average speed of answer) the mean wait of the answered calls, None with none."""

    queue: str
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_within_sl: int = 0
    asa_s: float | None = None
    service_level_pct: float | None = None


def start_of_day(now: datetime) -> datetime:
    """Midnight UTC of `now`'s UTC date: where "today" starts for the figures."""
    day = now.astimezone(UTC)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


async def queue_figures(
    *, session: AsyncSession, thresholds_s: Mapping[str, float], start: datetime, end: datetime | None = None
) -> dict[str, QueueFigures]:
    """Each queue of `thresholds_s` (queue -> its service-level threshold in seconds) for the events at
    or after `start` and before `end` (None: no end). A queue with no events has zeroes."""
    if not thresholds_s:
        return {}
    queues = values(column("queue", Text), column("threshold_s", Float), name="thresholds").data(
        list(thresholds_s.items())
    )
    event, queue = call_events.c.event, call_events.c.raw["Queue"].astext
    waited = cast(call_events.c.raw["WaitedS"].astext, Float)
    answered = event == ANSWERED
    conditions = [
        # Journal ids are the arrival time in microseconds (ccserver/events/journal_ids.py) and an ACD
        # event occurs as it arrives: this bound lets the primary key's index skip older days.
        call_events.c.id >= int(start.timestamp() * 1_000_000),
        call_events.c.occurred_at >= start,
        event.in_((QUEUED, ANSWERED, LEFT)),
    ]
    if end is not None:
        conditions.append(call_events.c.occurred_at < end)
    query = (
        select(
            queues.c.queue,
            func.count().filter(event == QUEUED).label("offered"),
            func.count().filter(answered).label("answered"),
            func.count().filter(and_(event == LEFT, call_events.c.raw["Reason"].astext == ABANDONED))
            .label("abandoned"),
            func.count().filter(and_(answered, waited <= queues.c.threshold_s)).label("answered_within_sl"),
            func.avg(waited).filter(answered).label("asa_s"),
        )
        .select_from(queues.join(call_events, and_(queue == queues.c.queue, *conditions)))
        .group_by(queues.c.queue)
    )
    figures = {name: QueueFigures(name) for name in thresholds_s}
    for row in (await session.execute(query)).mappings():
        name = row["queue"]
        handled = row["answered"] + row["abandoned"]
        figures[name] = QueueFigures(
            queue=name, offered=row["offered"], answered=row["answered"], abandoned=row["abandoned"],
            answered_within_sl=row["answered_within_sl"],
            asa_s=None if row["asa_s"] is None else float(row["asa_s"]),
            service_level_pct=100.0 * row["answered_within_sl"] / handled if handled else None,
        )
    return figures

