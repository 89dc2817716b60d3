"""Request and response bodies for /api/v1/cases, /api/v1/dispositions and a call's dispositions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ccserver.api.schemas.types import MAX_INT, NonEmptyText, UtcDateTime, _storable
from ccserver.crm.acd_model import Label, Name
from ccserver.crm.cases import MAX_PRIORITY, Case, CaseChanges, CaseDetail, CaseNote
from ccserver.crm.dispositions import CallDisposition, Disposition

CaseStatus = Literal["open", "pending", "resolved"]
Priority = Annotated[int, Field(ge=0, le=MAX_PRIORITY, description="0 (normal) to 9 (most urgent).")]
# Free text of several lines: notes on a case or a call.
NoteText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000), AfterValidator(_storable)
]

_EXAMPLE_CASE: dict[str, Any] = {
    "subject": "Invoice 1042 charged twice",
    "customer_id": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
    "call_id": "0b7e1a52-3c1f-4d5e-9a7b-2f1c3d4e5f60",
    "priority": 2,
    "sla_due_at": "2024-06-03T17:00:00Z",
    "note": "Refund promised once billing confirms.",
}


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE_CASE]})

    subject: NonEmptyText
    customer_id: UUID | None = Field(None, description="An existing customer; 422 if there is none.")
    call_id: UUID | None = Field(None, description="The call it was opened from (may not be journaled yet).")
    status: CaseStatus = "open"
    priority: Priority = 0
    sla_due_at: UtcDateTime | None = Field(None, description="When the case must be resolved by.")
    note: NoteText | None = Field(None, description="A first note, by the creator.")

    def service_kwargs(self) -> dict[str, Any]:
        return self.model_dump()


class CaseUpdate(BaseModel):
    """Only the fields sent change. Resolving sets `resolved_at`; reopening (open, pending) clears it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "resolved", "version": 2}, {"sla_due_at": None}]}
    )

    subject: NonEmptyText | None = None
    status: CaseStatus | None = None
    priority: Priority | None = None
    sla_due_at: UtcDateTime | None = Field(None, description="null removes the deadline.")
    version: int | None = Field(None, ge=1, le=MAX_INT, description="The version edited (or send `If-Match`).")

    @field_validator("subject", "status", "priority")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields the client sent: omitted means "unchanged", null is refused.
        if value is None:
            raise ValueError("cannot be null; omit the field to leave it unchanged")
        return value

    def changes(self) -> CaseChanges:
        return CaseChanges(**{k: getattr(self, k) for k in self.model_fields_set if k != "version"})


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"body": "Customer called back."}]})
    body: NoteText


class CaseNoteOut(BaseModel):
    id: int
    author: str = Field(examples=["agent:6f9619ff-8b86-d011-b42d-00c04fc964ff"], description="As `created_by`.")
    body: str = Field(examples=["Customer called back."])
    at: datetime

    @classmethod
    def of(cls, note: CaseNote) -> CaseNoteOut:
        return cls(id=note.id, author=note.author, body=note.body, at=note.at)


class CaseOut(BaseModel):
    id: UUID
    customer_id: UUID | None
    call_id: UUID | None
    subject: str = Field(examples=["Invoice 1042 charged twice"])
    status: CaseStatus
    priority: int = Field(examples=[2])
    sla_due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = Field(description="Set while the case is resolved.")
    created_by: str = Field(
        examples=["key:crm-sync"], description="`agent:<agent id>` for an agent's key, else `key:<API key name>`."
    )
    version: int = Field(examples=[1], description="Send it back (or as `If-Match`) when updating.")

    @classmethod
    def of(cls, case: Case) -> CaseOut:
        return cls.model_validate(case, from_attributes=True)


class CaseDetailOut(CaseOut):
    notes: list[CaseNoteOut] = Field(description="Oldest first.")

    @classmethod
    def of_detail(cls, detail: CaseDetail) -> CaseDetailOut:
        return cls(**CaseOut.of(detail.case).model_dump(), notes=[CaseNoteOut.of(n) for n in detail.notes])


class DispositionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"code": "billing_fixed", "label": "Billing fixed", "resolves": True}]},
    )
    code: Name = Field(description="Letters, digits, `_`, `.`, `-`.")
    label: Label
    resolves: bool = Field(False, description="The caller's issue was resolved on the call.")
    active: bool = Field(True, description="Inactive codes stay on past calls but cannot be set any more.")


class DispositionPut(BaseModel):
    """The whole code but its name (which is in the path)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"label": "Billing fixed", "resolves": True, "active": False}]}
    )
    label: Label
    resolves: bool = False
    active: bool = True


class DispositionOut(BaseModel):
    code: str = Field(examples=["resolved"])
    label: str = Field(examples=["Resolved"])
    resolves: bool
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, disposition: Disposition) -> DispositionOut:
        return cls.model_validate(disposition, from_attributes=True)


class CallDispositionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"code": "resolved", "notes": "Refund issued."}]}
    )
    code: Name = Field(description="An active disposition code.")
    notes: NoteText | None = None
    agent_id: UUID | None = Field(
        None, description="Whose disposition it is. An agent key sets its own agent's (omit it); supervisors and "
                          "admins may name any agent, or none for the call as a whole."
    )


class CallDispositionOut(BaseModel):
    id: int
    call_id: UUID
    agent_id: UUID | None
    code: str = Field(examples=["resolved"])
    label: str = Field(examples=["Resolved"])
    resolves: bool
    notes: str | None
    at: datetime = Field(description="When it was last set.")

    @classmethod
    def of(cls, disposition: CallDisposition) -> CallDispositionOut:
        return cls.model_validate(disposition, from_attributes=True)
