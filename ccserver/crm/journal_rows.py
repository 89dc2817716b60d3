"""Journal entries and entities as database rows, and the SQL that stores them."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

import orjson

from ccserver.events.model import Bridge, Call, IvrSession, Leg, TrackedEvent

EVENT_COLUMNS = (
    "id", "switch_id", "call_id", "leg_id", "event", "uniqueid", "linkedid", "occurred_at", "received_at", "raw",
)


def event_row(entry: TrackedEvent) -> tuple[Any, ...]:
    return (
        entry.id, entry.switch_id, entry.call_id, entry.leg_id, entry.name, entry.uniqueid, entry.linkedid,
        entry.occurred_at, entry.received_at, orjson.dumps(entry.headers).decode(),
    )


# The columns each entity is stored in, named as its attributes: the one list the row builders, the
# restore after a restart and the checks of the journal use. The upserts below spell them out in this
# order (tests/unit/test_journal_rows.py holds them to it).
CALL_COLUMNS = (
    "id", "switch_id", "linkedid", "direction", "state", "outcome", "caller_number", "caller_e164",
    "caller_name", "dialed_number", "started_at", "answered_at", "ended_at", "hangup_cause",
    "hangup_cause_text", "transfer_count", "stale",
)
LEG_COLUMNS = (
    "id", "call_id", "switch_id", "uniqueid", "channel", "tech", "endpoint", "role", "caller_number",
    "caller_name", "connected_number", "connected_name", "context", "exten", "state", "dial_status",
    "bridge_id", "created_at", "ringing_at", "answered_at", "hungup_at", "hangup_cause", "hangup_cause_text",
)
BRIDGE_COLUMNS = (
    "id", "call_id", "switch_id", "bridge_uniqueid", "bridge_type", "technology", "created_at",
    "destroyed_at", "max_members",
)

IVR_SESSION_COLUMNS = (
    "id", "call_id", "switch_id", "uniqueid", "linkedid", "flow", "flow_version", "started_at", "ended_at",
    "language", "path", "collected", "routing", "customer_id", "outcome", "reason", "callback_number",
    "message_path",
)

call_row: Callable[[Call], tuple[Any, ...]] = attrgetter(*CALL_COLUMNS)
leg_row: Callable[[Leg], tuple[Any, ...]] = attrgetter(*LEG_COLUMNS)
bridge_row: Callable[[Bridge], tuple[Any, ...]] = attrgetter(*BRIDGE_COLUMNS)
_JSON_COLUMNS = frozenset({"path", "collected", "routing"})


def ivr_session_row(session: IvrSession) -> tuple[Any, ...]:
    """JSON columns as text (asyncpg's default jsonb codec); the rest as they are."""
    return tuple(
        orjson.dumps(getattr(session, name)).decode() if name in _JSON_COLUMNS else getattr(session, name)
        for name in IVR_SESSION_COLUMNS
    )


# An inbound call is matched to the customer owning its caller's number (newest contact wins); once
# matched it keeps that customer even if the caller id changes later in the call.
UPSERT_CALL = """
INSERT INTO calls (id, switch_id, linkedid, direction, state, outcome, caller_number, caller_e164,
    caller_name, dialed_number, started_at, answered_at, ended_at, hangup_cause, hangup_cause_text,
    transfer_count, stale, customer_id, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
    CASE WHEN $4 = 'inbound' AND $8::text IS NOT NULL THEN
        (SELECT customer_id FROM contacts WHERE e164 = $8::text AND kind = 'phone'
         ORDER BY created_at DESC LIMIT 1) END,
    now())
ON CONFLICT (id) DO UPDATE SET
    direction = excluded.direction, state = excluded.state, outcome = excluded.outcome,
    caller_number = excluded.caller_number, caller_e164 = excluded.caller_e164,
    caller_name = excluded.caller_name, dialed_number = excluded.dialed_number,
    answered_at = excluded.answered_at, ended_at = excluded.ended_at,
    hangup_cause = excluded.hangup_cause, hangup_cause_text = excluded.hangup_cause_text,
    transfer_count = excluded.transfer_count, stale = excluded.stale,
    customer_id = COALESCE(calls.customer_id, excluded.customer_id), updated_at = now()
"""

UPSERT_LEG = """
INSERT INTO legs (id, call_id, switch_id, uniqueid, channel, tech, endpoint, role, caller_number,
    caller_name, connected_number, connected_name, context, exten, state, dial_status, bridge_id,
    created_at, ringing_at, answered_at, hungup_at, hangup_cause, hangup_cause_text)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
    $22, $23)
ON CONFLICT (id) DO UPDATE SET
    channel = excluded.channel, role = excluded.role, caller_number = excluded.caller_number,
    caller_name = excluded.caller_name, connected_number = excluded.connected_number,
    connected_name = excluded.connected_name, context = excluded.context, exten = excluded.exten,
    state = excluded.state, dial_status = excluded.dial_status, bridge_id = excluded.bridge_id,
    ringing_at = excluded.ringing_at, answered_at = excluded.answered_at, hungup_at = excluded.hungup_at,
    hangup_cause = excluded.hangup_cause, hangup_cause_text = excluded.hangup_cause_text
"""

UPSERT_BRIDGE = """
INSERT INTO bridges (id, call_id, switch_id, bridge_uniqueid, bridge_type, technology, created_at,
    destroyed_at, max_members)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (id) DO UPDATE SET
    call_id = COALESCE(bridges.call_id, excluded.call_id), bridge_type = excluded.bridge_type,
    technology = excluded.technology, destroyed_at = excluded.destroyed_at, max_members = excluded.max_members
"""

UPSERT_IVR_SESSION = """
INSERT INTO ivr_sessions (id, call_id, switch_id, uniqueid, linkedid, flow, flow_version, started_at, ended_at,
    language, path, collected, routing, customer_id, outcome, reason, callback_number, message_path)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (id) DO UPDATE SET
    ended_at = excluded.ended_at, language = excluded.language, path = excluded.path,
    collected = excluded.collected, routing = excluded.routing, customer_id = excluded.customer_id,
    outcome = excluded.outcome, reason = excluded.reason, callback_number = excluded.callback_number,
    message_path = excluded.message_path
"""
