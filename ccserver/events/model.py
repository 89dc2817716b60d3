"""What the normaliser makes of AMI: calls, their legs and bridges, and journal entries.

These are plain mutable records owned by one `CallTracker`; subscribers read them, only the
tracker changes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ccserver.events.ami_fields import value

_NAMESPACE = uuid.UUID("5f0c2b1e-9a51-4c8e-9d0e-6c0c5e1d7a42")


def call_key(switch_id: str, linkedid: str) -> uuid.UUID:
    """Deterministic, so a restarted ccserver recognises the calls it already recorded."""
    return uuid.uuid5(_NAMESPACE, f"{switch_id}/call/{linkedid}")


def leg_key(switch_id: str, uniqueid: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{switch_id}/leg/{uniqueid}")


def bridge_key(switch_id: str, bridge_uniqueid: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{switch_id}/bridge/{bridge_uniqueid}")


@dataclass(slots=True, eq=False)
class Call:
    id: uuid.UUID
    switch_id: str
    linkedid: str
    started_at: datetime
    direction: str = "internal"  # inbound | outbound | internal
    state: str = "active"  # active | ended
    outcome: str | None = None
    caller_number: str | None = None
    caller_e164: str | None = None
    caller_name: str | None = None
    dialed_number: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    hangup_cause: int | None = None
    hangup_cause_text: str | None = None
    transfer_count: int = 0
    stale: bool = False
    # not persisted
    live_legs: set[str] = field(default_factory=set)
    last_dial_status: str | None = None


@dataclass(slots=True, eq=False)
class Leg:
    id: uuid.UUID
    call_id: uuid.UUID
    switch_id: str
    uniqueid: str
    channel: str
    tech: str
    endpoint: str | None
    role: str  # originator | dialed | other
    created_at: datetime
    state: str = "Down"
    caller_number: str | None = None
    caller_name: str | None = None
    connected_number: str | None = None
    connected_name: str | None = None
    context: str | None = None
    exten: str | None = None
    dial_status: str | None = None
    bridge_id: str | None = None
    ringing_at: datetime | None = None
    answered_at: datetime | None = None
    hungup_at: datetime | None = None
    hangup_cause: int | None = None
    hangup_cause_text: str | None = None


@dataclass(slots=True, eq=False)
class Bridge:
    id: uuid.UUID
    switch_id: str
    bridge_uniqueid: str
    created_at: datetime
    call_id: uuid.UUID | None = None
    bridge_type: str | None = None
    technology: str | None = None
    destroyed_at: datetime | None = None
    max_members: int = 0
    members: set[str] = field(default_factory=set)


@dataclass(slots=True, eq=False)
class IvrSession:
    """One pass of a call through an IVR flow; owned and changed by the IVR runner only."""

    id: uuid.UUID
    call_id: uuid.UUID
    switch_id: str
    uniqueid: str
    linkedid: str
    flow: str
    flow_version: str
    started_at: datetime
    language: str
    ended_at: datetime | None = None
    path: list[str] = field(default_factory=list)
    collected: dict[str, Any] = field(default_factory=dict)
    routing: dict[str, Any] = field(default_factory=dict)
    customer_id: uuid.UUID | None = None
    outcome: str | None = None
    reason: str | None = None
    callback_number: str | None = None
    message_path: str | None = None
    leg_id: uuid.UUID | None = None  # not persisted: the channel's leg key, computed once per session


Entity = Call | Leg | Bridge | IvrSession


@dataclass(slots=True)
class TrackedEvent:
    """One journal entry: an AMI event (or a ccserver-made one, named `ccserver.*`) and what it changed."""

    id: int
    switch_id: str
    name: str
    headers: dict[str, Any]
    occurred_at: datetime
    received_at: datetime
    call: Call | None
    leg: Leg | None
    touched: list[Entity]
    transitions: list[str]  # e.g. call_started, leg_answered, call_answered, call_ended
    call_id: uuid.UUID | None = None
    leg_id: uuid.UUID | None = None

    @property
    def uniqueid(self) -> str | None:
        return self.leg.uniqueid if self.leg else value(self.headers, "Uniqueid") or None

    @property
    def linkedid(self) -> str | None:
        return self.call.linkedid if self.call else value(self.headers, "Linkedid") or None

