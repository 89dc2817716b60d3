"""Request and response bodies for /api/v1/agents: agents, their skills, states and provisioning."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ccserver.api.schemas.types import MAX_INT
from ccserver.asterisk.pjsip_agents import Provisioned
from ccserver.crm.acd_model import AgentConfig, Extension, Label, Name, SipPassword, SkillLevels
from ccserver.crm.agent_states import AgentState, StateChange
from ccserver.crm.agents import Agent, AgentChanges

_EXAMPLE_IN: dict[str, Any] = {
    "extension": "1001",
    "name": "Ada Lovelace",
    "sip_password": "correct-horse-battery",
    "max_concurrent": 1,
    "skills": {"billing": 7, "english": 10, "spanish": 4},
}


class AgentCreate(AgentConfig):
    """The softphone registers as PJSIP endpoint `<extension>`, user `<extension>`, with `sip_password`."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_IN]})

    extension: Extension = Field(description="Digits; also the SIP user name and PJSIP endpoint.")
    sip_password: SipPassword = Field(description="8-128 characters; stored only as its SIP digest (HA1).")

    def service_kwargs(self) -> dict[str, Any]:
        return self.model_dump()


class AgentUpdate(BaseModel):
    """Only the fields sent change. A new `extension` needs `sip_password` too (the digest covers both)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Ada King", "version": 2}]})

    name: Label | None = None
    extension: Extension | None = None
    sip_password: SipPassword | None = None
    max_concurrent: int | None = Field(None, ge=1, le=20)
    active: bool | None = None
    skills: SkillLevels | None = Field(None, description="Replaces the whole set.")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="The version edited (or send `If-Match`).")

    @field_validator("name", "extension", "sip_password", "max_concurrent", "active", "skills")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields the client sent: omitted means "unchanged", null is refused.
        if value is None:
            raise ValueError("cannot be null; omit the field to leave it unchanged")
        return value

    def changes(self) -> AgentChanges:
        return AgentChanges(**{k: getattr(self, k) for k in self.model_fields_set if k != "version"})


class AgentSkillsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"skills": {"technical": 6}}]})

    skills: SkillLevels = Field(description="skill -> proficiency 1-10; replaces the agent's whole set.")
    version: int | None = Field(None, ge=1, le=MAX_INT)


class AgentStateOut(BaseModel):
    state: str = Field(examples=["not_ready"], description="logged_out, ready, not_ready, reserved, on_call, wrap_up")
    reason: str | None = Field(examples=["break"], description="The not-ready reason code.")
    since: datetime
    call_id: UUID | None = Field(description="The call of a reserved, on_call or wrap_up agent.")
    pending: str | None = Field(None, description="Asked for during a call, applied when it is over: "
                                                  "not_ready or logged_out (live ACD only).")

    @classmethod
    def of(cls, state: AgentState, pending: str | None = None) -> AgentStateOut:
        return cls(state=state.state, reason=state.reason, since=state.since, call_id=state.call_id, pending=pending)


class AgentOut(BaseModel):
    id: UUID
    extension: str = Field(examples=["1001"])
    name: str = Field(examples=["Ada Lovelace"])
    max_concurrent: int = Field(examples=[1])
    active: bool
    skills: dict[str, int] = Field(examples=[{"billing": 7, "english": 10}])
    state: AgentStateOut = Field(description="As last recorded.")
    version: int = Field(examples=[1], description="Send it back (or as `If-Match`) when updating.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, agent: Agent) -> AgentOut:
        fields = {k: getattr(agent, k) for k in cls.model_fields if k != "state"}
        return cls(**fields, state=AgentStateOut.of(agent.state))


class ProvisioningOut(BaseModel):
    """What became of the agent's PJSIP endpoint (pjsip_agents.conf, then `res_pjsip` reloaded)."""

    status: Literal["applied", "unchanged", "written", "failed", "skipped"] = Field(
        description="applied: written and reloaded; written: no switch to reload; skipped: not configured"
    )
    detail: str = Field(examples=["wrote /etc/asterisk/pjsip_agents.conf; reloaded res_pjsip.so on pbx1"])
    reloaded: list[str] = Field(default_factory=list, examples=[["pbx1"]])
    failed: dict[str, str] = Field(default_factory=dict, description="switch id -> why it did not reload")

    @classmethod
    def of(cls, result: Provisioned | None) -> ProvisioningOut:
        if result is None:
            return cls(status="skipped", detail="this ccserver writes no PJSIP configuration (no provisioner)")
        status: Any = result.status
        return cls(status=status, detail=result.detail, reloaded=result.reloaded, failed=result.failed)


class AgentSaved(AgentOut):
    provisioning: ProvisioningOut


class StateRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"state": "not_ready", "reason": "break"}, {"state": "ready"}]}
    )

    state: Literal["ready", "not_ready", "logged_out", "wrap_up"] = Field(
        description="`ready` also ends after-call work (wrap_up) early; `wrap_up` with `extend_s` extends it."
    )
    reason: Name | None = Field(None, description="Required with not_ready: a not-ready reason code.")
    extend_s: float | None = Field(None, gt=0, le=3600, description="With wrap_up: seconds of after-call work to add.")


class StateChangeOut(BaseModel):
    id: int
    from_state: str = Field(examples=["ready"])
    to_state: str = Field(examples=["not_ready"])
    reason: str | None = Field(examples=["break"])
    at: datetime
    call_id: UUID | None
    source: str = Field(examples=["agent"], description="agent, supervisor or system (the ACD)")

    @classmethod
    def of(cls, change: StateChange) -> StateChangeOut:
        return cls.model_validate({k: getattr(change, k) for k in cls.model_fields})


class StateChangePage(BaseModel):
    items: list[StateChangeOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end.")


class AgentKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Label = Field(examples=["desktop of 1001"])


class AgentKeyOut(BaseModel):
    id: UUID
    name: str
    role: str = Field(examples=["agent"])
    agent_id: UUID
    key: str = Field(description="Shown once: store it now.", examples=["ccs_1a2b3c4d_" + "x" * 32])
