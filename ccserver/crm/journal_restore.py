"""After a ccserver restart: reload the calls that were still open, and the journal's high-water mark."""

from __future__ import annotations

import asyncpg

from ccserver.crm.journal_rows import CALL_COLUMNS, LEG_COLUMNS
from ccserver.events.model import Call, Leg


async def load_open_calls(conn: asyncpg.Connection, switch_id: str) -> tuple[list[Call], list[Leg]]:
    call_rows = await conn.fetch(
        f"SELECT {', '.join(CALL_COLUMNS)} FROM calls WHERE switch_id = $1 AND state <> 'ended'", switch_id
    )
    calls = [Call(**dict(r)) for r in call_rows]
    leg_rows = await conn.fetch(
        f"SELECT {', '.join(LEG_COLUMNS)} FROM legs WHERE call_id = ANY($1::uuid[]) AND hungup_at IS NULL",
        [c.id for c in calls],
    )
    return calls, [Leg(**dict(r)) for r in leg_rows]


async def highest_journal_id(conn: asyncpg.Connection) -> int:
    value = await conn.fetchval("SELECT max(id) FROM call_events")
    return int(value or 0)
