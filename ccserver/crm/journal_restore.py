"""After a ccserver restart: reload the calls that were still open, and the journal's high-water mark."""

from __future__ import annotations

import asyncpg

from ccserver.events.model import Call, Leg

_CALL_FIELDS = (
    "id", "switch_id", "linkedid", "started_at", "direction", "state", "outcome", "caller_number", "caller_e164",
    "caller_name", "dialed_number", "answered_at", "ended_at", "hangup_cause", "hangup_cause_text",
    "transfer_count", "stale",
)
_LEG_FIELDS = (
    "id", "call_id", "switch_id", "uniqueid", "channel", "tech", "endpoint", "role", "created_at", "state",
    "caller_number", "caller_name", "connected_number", "connected_name", "context", "exten", "dial_status",
    "bridge_id", "ringing_at", "answered_at", "hungup_at", "hangup_cause", "hangup_cause_text",
)


async def load_open_calls(conn: asyncpg.Connection, switch_id: str) -> tuple[list[Call], list[Leg]]:
    call_rows = await conn.fetch(
        f"SELECT {', '.join(_CALL_FIELDS)} FROM calls WHERE switch_id = $1 AND state <> 'ended'", switch_id
    )
    calls = [Call(**dict(r)) for r in call_rows]
    leg_rows = await conn.fetch(
        f"SELECT {', '.join(_LEG_FIELDS)} FROM legs WHERE call_id = ANY($1::uuid[]) AND hungup_at IS NULL",
        [c.id for c in calls],
    )
    return calls, [Leg(**dict(r)) for r in leg_rows]


async def highest_journal_id(conn: asyncpg.Connection) -> int:
    value = await conn.fetchval("SELECT max(id) FROM call_events")
    return int(value or 0)
