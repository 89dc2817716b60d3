"""Request and response bodies for skills, not-ready reasons and a call's routing decisions."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ccserver.crm.acd_model import Label, Name, SkillName


class SkillIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "billing", "description": "Invoices, payments"}, {"name": "lang:es"}]
        },
    )
    name: SkillName = Field(description="Letters, digits, `_`, `.`, `-`; or a language as `lang:<code>`.")
    description: Label | None = None


class SkillOut(BaseModel):
    name: str = Field(examples=["billing"])
    description: str | None = Field(examples=["Invoices, payments"])
    created_at: datetime


class ReasonIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"code": "training", "label": "Training", "productive": True}]}
    )
    code: Name
    label: Label
    productive: bool = Field(False, description="Time in this reason counts as productive in occupancy.")


class ReasonOut(BaseModel):
    code: str = Field(examples=["break"])
    label: str = Field(examples=["Break"])
    productive: bool
    created_at: datetime


class RoutingDecisionOut(BaseModel):
    """One look the ACD took for the call: why, what it required, whom it considered, whom it chose."""

    id: int = Field(description="Decisions of a call come in the order taken.")
    call_id: UUID
    switch_id: str | None = Field(examples=["pbx1"])
    decided_at: datetime
    trigger: str = Field(examples=["call_arrived"], description="call_arrived, agent_available, escalation, ...")
    queue: str = Field(examples=["billing"])
    rank: int | None = Field(examples=[1], description="The call's place in its queue.")
    waited_s: float | None = Field(examples=[31.5])
    strategy: str | None = Field(examples=["most_skilled"])
    step: dict[str, JsonValue] | None = Field(
        examples=[{"index": 1, "text": "after 30 s: billing 3+"}], description="The escalation step in force."
    )
    requirements: dict[str, JsonValue] = Field(
        examples=[{"any_of": [{"billing": 3, "lang:es": 1}, {"technical": 6, "lang:es": 1}]}],
        description="`any_of`: skill groups (skill -> minimum level); an agent qualifies by meeting one.",
    )
    chosen_agent_id: UUID | None = Field(description="None: no agent fit, the call waits.")
    eligible: int = Field(examples=[3], description="Free agents that qualified.")
    candidates: list[JsonValue] = Field(
        examples=[[{"agent_id": "6f9619ff-8b86-d011-b42d-00c04fc964ff", "score": 14, "detail": "skill fit 14"}]],
        description="The best qualifying agents, best first.",
    )
    excluded: list[JsonValue] = Field(
        examples=[[{"agent_id": "0d6c4f0e-55b4-4b8e-9d0e-7b1f1a2c3d4e", "reason": "skill billing 2 < 3"}]],
        description="Examples of free agents left out, each with why.",
    )
    excluded_counts: dict[str, JsonValue] = Field(examples=[{"not_ready": 4, "lacks skill lang:es": 2}])
    outcome: str = Field(examples=["offered"], description="offered, waiting, ...")
