"""Request and response bodies for /api/v1/customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from ccserver.api.schemas.types import MAX_INT, CustomFields, EmailText, NonEmptyText, PhoneText, Text
from ccserver.crm.customers import Contact, Customer, CustomerChanges, EmailInput, PhoneInput

_EXAMPLE_IN: dict[str, Any] = {
    "name": "Ada Lovelace",
    "account_number": "ACME-1001",
    "tier": "gold",
    "language": "en",
    "custom_fields": {"crm_ref": "A-17"},
    "phones": [{"number": "+1 (415) 555-0100", "label": "mobile"}],
    "emails": [{"address": "ada@example.com", "label": "work"}],
}


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: PhoneText = Field(description="Any common format; national numbers use the server's region.")
    label: Text | None = None


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: EmailText
    label: Text | None = None


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE_IN]})

    name: NonEmptyText
    account_number: NonEmptyText | None = None
    tier: NonEmptyText = "standard"
    language: NonEmptyText = "en"
    custom_fields: CustomFields = Field(default_factory=dict)
    phones: list[PhoneIn] = Field(default_factory=list, max_length=20)
    emails: list[EmailIn] = Field(default_factory=list, max_length=20, description="The first is primary.")

    def service_kwargs(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "account_number": self.account_number,
            "tier": self.tier,
            "language": self.language,
            "custom_fields": self.custom_fields,
            "phones": [PhoneInput(p.number, p.label) for p in self.phones],
            "emails": [EmailInput(e.address, e.label) for e in self.emails],
        }


class CustomerUpdate(BaseModel):
    """Only the fields sent change; `phones` and `emails`, when sent, replace the whole list."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"tier": "platinum", "version": 3}]}
    )

    name: NonEmptyText | None = None
    account_number: NonEmptyText | None = None
    tier: NonEmptyText | None = None
    language: NonEmptyText | None = None
    custom_fields: CustomFields | None = None
    phones: list[PhoneIn] | None = Field(default=None, max_length=20)
    emails: list[EmailIn] | None = Field(default=None, max_length=20)
    version: int | None = Field(
        default=None, ge=1, le=MAX_INT, description="The version edited (or send `If-Match`); 412 if stale."
    )

    @field_validator("name", "tier", "language", "custom_fields", "phones", "emails")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Runs only for fields the client sent: omitted means "unchanged", null is refused.
        if value is None:
            raise ValueError("cannot be null; omit the field to leave it unchanged")
        return value

    def changes(self) -> CustomerChanges:
        sent: dict[str, Any] = {k: getattr(self, k) for k in self.model_fields_set if k != "version"}
        if "phones" in sent:
            sent["phones"] = [PhoneInput(p.number, p.label) for p in sent["phones"]]
        if "emails" in sent:
            sent["emails"] = [EmailInput(e.address, e.label) for e in sent["emails"]]
        return CustomerChanges(**sent)


class PhoneOut(BaseModel):
    id: UUID
    number: str = Field(examples=["+1 (415) 555-0100"], description="As entered.")
    e164: str = Field(examples=["+14155550100"])
    label: str | None = Field(examples=["mobile"])


class EmailOut(BaseModel):
    id: UUID
    address: str = Field(examples=["ada@example.com"])
    label: str | None = Field(examples=["work"])


class CustomerOut(BaseModel):
    id: UUID
    name: str = Field(examples=["Ada Lovelace"])
    account_number: str | None = Field(examples=["ACME-1001"])
    email: str | None = Field(examples=["ada@example.com"], description="The primary (first) email.")
    tier: str = Field(examples=["gold"])
    language: str = Field(examples=["en"])
    custom_fields: dict[str, JsonValue] = Field(examples=[{"crm_ref": "A-17"}])
    version: int = Field(examples=[1], description="Send it back (or as `If-Match`) when updating.")
    created_at: datetime
    updated_at: datetime
    phones: list[PhoneOut]
    emails: list[EmailOut]

    @classmethod
    def of(cls, customer: Customer) -> CustomerOut:
        return cls(
            id=customer.id,
            name=customer.name,
            account_number=customer.account_number,
            email=customer.email,
            tier=customer.tier,
            language=customer.language,
            custom_fields=customer.custom_fields,
            version=customer.version,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            phones=[_phone_out(c) for c in customer.phones],
            emails=[EmailOut(id=c.id, address=c.value, label=c.label) for c in customer.emails],
        )


def _phone_out(contact: Contact) -> PhoneOut:
    return PhoneOut(id=contact.id, number=contact.value, e164=contact.e164 or "", label=contact.label)
