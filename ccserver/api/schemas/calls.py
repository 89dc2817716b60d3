"""Response bodies for /api/v1/calls: a call, its legs and bridges, its event timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, JsonValue

# Accepted filter values. Responses use plain strings so a new value from the journal never breaks a read.
Direction = Literal["inbound", "outbound", "internal"]
CallState = Literal["active", "ended"]
Outcome = Literal["answered", "busy", "no_answer", "abandoned", "failed", "not_dialed"]


class CallOut(BaseModel):
    id: UUID
    switch_id: str = Field(examples=["pbx1"])
    linkedid: str = Field(examples=["1717243200.17"])
    direction: str = Field(examples=["inbound"])
    state: str = Field(examples=["ended"])
    outcome: str | None = Field(examples=["answered"])
    caller_number: str | None = Field(examples=["4155550100"])
    caller_e164: str | None = Field(examples=["+14155550100"])
    caller_name: str | None = Field(examples=["Ada Lovelace"])
    dialed_number: str | None = Field(examples=["8005550199"])
    customer_id: UUID | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    hangup_cause: int | None = Field(examples=[16])
    hangup_cause_text: str | None = Field(examples=["Normal Clearing"])
    transfer_count: int = Field(examples=[0])
    stale: bool = Field(description="True while the journal could not confirm this call after a link loss.")
    updated_at: datetime


class LegOut(BaseModel):
    id: UUID
    switch_id: str
    uniqueid: str = Field(examples=["1717243200.17"])
    channel: str = Field(examples=["PJSIP/trunk-00000011"])
    tech: str = Field(examples=["PJSIP"])
    endpoint: str | None = Field(examples=["trunk"])
    role: str = Field(examples=["originator"])
    caller_number: str | None
    caller_name: str | None
    connected_number: str | None
    connected_name: str | None
    context: str | None = Field(examples=["from-pstn"])
    exten: str | None
    state: str = Field(examples=["Up"])
    dial_status: str | None = Field(examples=["ANSWER"])
    bridge_id: str | None
    created_at: datetime
    ringing_at: datetime | None
    answered_at: datetime | None
    hungup_at: datetime | None
    hangup_cause: int | None
    hangup_cause_text: str | None


class BridgeOut(BaseModel):
    id: UUID
    switch_id: str
    bridge_uniqueid: str
    bridge_type: str | None = Field(examples=["basic"])
    technology: str | None = Field(examples=["simple_bridge"])
    created_at: datetime
    destroyed_at: datetime | None
    max_members: int = Field(examples=[2])


class IvrSessionOut(BaseModel):
    """One pass of the call through an IVR flow: where the caller went and what the IVR decided."""

    id: UUID
    uniqueid: str = Field(examples=["1717243200.17"], description="The channel that ran the flow.")
    flow: str = Field(examples=["inbound"])
    flow_version: str = Field(examples=["3f2a9c1d"], description="Hash of the flow file the call ran on.")
    started_at: datetime
    ended_at: datetime | None
    language: str = Field(examples=["es"])
    path: list[str] = Field(examples=[["inbound:welcome", "inbound:language_menu", "inbound:main_menu"]])
    collected: dict[str, JsonValue] = Field(examples=[{"account": "79927398713"}])
    routing: dict[str, JsonValue] = Field(
        examples=[{"queue": "billing", "skills": {"billing": 5}, "priority": 0, "language": "es"}]
    )
    customer_id: UUID | None
    outcome: str | None = Field(examples=["handoff"], description="handoff, callback, voicemail, hangup, fallback")
    reason: str | None
    callback_number: str | None = Field(examples=["+14155550100"])
    message_path: str | None


class CallDetailOut(CallOut):
    legs: list[LegOut] = Field(description="Ordered by creation.")
    bridges: list[BridgeOut]
    ivr_path: list[str] = Field(description="Every IVR node entered, across the call's IVR sessions, in order.")
    ivr_sessions: list[IvrSessionOut] = Field(description="Ordered by start; the last one holds the routing.")


class CallEventOut(BaseModel):
    id: int = Field(examples=[1042], description="Arrival order on the journal.")
    switch_id: str
    call_id: UUID | None
    leg_id: UUID | None
    event: str = Field(examples=["Newchannel"])
    uniqueid: str | None
    linkedid: str | None
    occurred_at: datetime
    received_at: datetime
    raw: JsonValue = Field(examples=[{"Event": "Newchannel", "Channel": "PJSIP/trunk-00000011"}])


class CallEventPage(BaseModel):
    items: list[CallEventOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end.")
