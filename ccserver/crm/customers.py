"""Customers and their contacts (phones with E.164, emails). Keyword-only service functions."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.cursors import newest_first_page
from ccserver.crm.errors import Conflict, CrmError, FieldError, InvalidInput, NotFound, VersionMismatch
from ccserver.crm.phones import to_e164
from ccserver.crm.tables import contacts, customers


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET


@dataclass(frozen=True, slots=True)
class PhoneInput:
    number: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class EmailInput:
    address: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    id: UUID
    kind: str
    value: str
    e164: str | None
    label: str | None


@dataclass(frozen=True, slots=True)
class Customer:
    id: UUID
    name: str
    account_number: str | None
    email: str | None
    tier: str
    language: str
    custom_fields: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime
    phones: list[Contact] = field(default_factory=list)
    emails: list[Contact] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class CustomerChanges:
    """A partial update: a field left UNSET is not touched; `phones`/`emails` replace the whole set."""

    name: str | _Unset = UNSET
    account_number: str | None | _Unset = UNSET
    tier: str | _Unset = UNSET
    language: str | _Unset = UNSET
    custom_fields: dict[str, Any] | _Unset = UNSET
    phones: Sequence[PhoneInput] | _Unset = UNSET
    emails: Sequence[EmailInput] | _Unset = UNSET


@dataclass(frozen=True, slots=True)
class CustomerPage:
    items: list[Customer]
    next_cursor: str | None


async def create_customer(
    *,
    session: AsyncSession,
    name: str,
    default_region: str,
    account_number: str | None = None,
    tier: str = "standard",
    language: str = "en",
    custom_fields: dict[str, Any] | None = None,
    phones: Sequence[PhoneInput] = (),
    emails: Sequence[EmailInput] = (),
) -> Customer:
    phone_rows = _phone_rows(phones, default_region=default_region)
    email_rows = _email_rows(emails)
    values = {
        "name": name,
        "account_number": account_number,
        "tier": tier,
        "language": language,
        "custom_fields": custom_fields or {},
        "email": emails[0].address if emails else None,
    }
    try:
        customer_id = (
            await session.execute(insert(customers).values(values).returning(customers.c.id))
        ).scalar_one()
        await _insert_contacts(session, customer_id, phone_rows + email_rows)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise _conflict(exc) from exc
    return await get_customer(session=session, customer_id=customer_id)


async def get_customer(*, session: AsyncSession, customer_id: UUID) -> Customer:
    row = (await session.execute(select(customers).where(customers.c.id == customer_id))).mappings().first()
    if row is None:
        raise NotFound("customer", customer_id)
    return (await _with_contacts(session, [row]))[0]


async def list_customers(
    *, session: AsyncSession, limit: int, cursor: str | None = None, e164: str | None = None
) -> CustomerPage:
    """Newest first, keyset-paginated on (created_at, id); `e164` keeps customers having that phone."""
    query: Select[Any] = select(customers)
    if e164 is not None:
        query = query.where(customers.c.id.in_(_ids_with_phone(e164)))
    rows, next_cursor = await newest_first_page(
        session, query, at=customers.c.created_at, row_id=customers.c.id, limit=limit, cursor=cursor
    )
    return CustomerPage(items=await _with_contacts(session, rows), next_cursor=next_cursor)


async def find_by_phone(
    *, session: AsyncSession, phone: str, default_region: str, limit: int = 50
) -> list[Customer]:
    """Customers with a phone matching `phone` (any format) on E.164; [] if it is not a number."""
    e164 = to_e164(phone, default_region=default_region)
    if e164 is None:
        return []
    return (await list_customers(session=session, limit=limit, e164=e164)).items


async def update_customer(
    *,
    session: AsyncSession,
    customer_id: UUID,
    changes: CustomerChanges,
    default_region: str,
    expected_version: int | None = None,
) -> Customer:
    """Apply `changes` and bump `version`; VersionMismatch if `expected_version` is not current."""
    values: dict[str, Any] = {
        name: getattr(changes, name)
        for name in ("name", "account_number", "tier", "language", "custom_fields")
        if getattr(changes, name) is not UNSET
    }
    phone_rows = email_rows = None
    if not isinstance(changes.phones, _Unset):
        phone_rows = _phone_rows(changes.phones, default_region=default_region)
    if not isinstance(changes.emails, _Unset):
        email_rows = _email_rows(changes.emails)
        values["email"] = changes.emails[0].address if changes.emails else None
    stmt = update(customers).where(customers.c.id == customer_id)
    if expected_version is not None:
        stmt = stmt.where(customers.c.version == expected_version)
    stmt = stmt.values(**values, version=customers.c.version + 1, updated_at=func.now())
    try:
        updated = (await session.execute(stmt.returning(customers.c.id))).first()
        if updated is None:
            raise await _gone_or_stale(session, customer_id, expected_version)
        for kind, rows in (("phone", phone_rows), ("email", email_rows)):
            if rows is not None:
                await session.execute(
                    delete(contacts).where(contacts.c.customer_id == customer_id, contacts.c.kind == kind)
                )
                await _insert_contacts(session, customer_id, rows)
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise _conflict(exc) from exc
    return await get_customer(session=session, customer_id=customer_id)


async def delete_customer(
    *, session: AsyncSession, customer_id: UUID, expected_version: int | None = None
) -> None:
    stmt = delete(customers).where(customers.c.id == customer_id)
    if expected_version is not None:
        stmt = stmt.where(customers.c.version == expected_version)
    deleted = (await session.execute(stmt.returning(customers.c.id))).first()
    if deleted is None:
        raise await _gone_or_stale(session, customer_id, expected_version)
    await session.commit()


async def _gone_or_stale(session: AsyncSession, customer_id: UUID, expected_version: int | None) -> CrmError:
    """Why a guarded UPDATE/DELETE touched no row: the customer is gone, or its version moved on."""
    await session.rollback()
    current = (
        await session.execute(select(customers.c.version).where(customers.c.id == customer_id))
    ).scalar_one_or_none()
    if current is None or expected_version is None:
        return NotFound("customer", customer_id)
    return VersionMismatch(current=current, expected=expected_version)


def _phone_rows(phones: Sequence[PhoneInput], *, default_region: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, phone in enumerate(phones):
        e164 = to_e164(phone.number, default_region=default_region)
        if e164 is None:
            errors.append(FieldError(("phones", i, "number"), f"not a phone number: {phone.number!r}"))
        elif e164 in seen:
            errors.append(FieldError(("phones", i, "number"), f"same number as phones[{seen[e164]}]"))
        else:
            seen[e164] = i
            rows.append({"kind": "phone", "value": phone.number, "e164": e164, "label": phone.label})
    if errors:
        raise InvalidInput(errors)
    return rows


def _email_rows(emails: Sequence[EmailInput]) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    for i, email in enumerate(emails):
        key = email.address.casefold()
        if key in seen:
            raise InvalidInput([FieldError(("emails", i, "address"), f"same address as emails[{seen[key]}]")])
        seen[key] = i
    return [{"kind": "email", "value": e.address, "e164": None, "label": e.label} for e in emails]


async def _insert_contacts(session: AsyncSession, customer_id: UUID, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    # Explicit, increasing timestamps keep the contacts in the order the caller gave them.
    now = datetime.now(UTC)
    stamped = [
        {**row, "customer_id": customer_id, "created_at": now + timedelta(microseconds=i)}
        for i, row in enumerate(rows)
    ]
    await session.execute(insert(contacts), stamped)


def _ids_with_phone(e164: str) -> Select[Any]:
    return select(contacts.c.customer_id).where(contacts.c.kind == "phone", contacts.c.e164 == e164)


async def _with_contacts(session: AsyncSession, rows: Sequence[RowMapping]) -> list[Customer]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    query = (
        select(contacts).where(contacts.c.customer_id.in_(ids)).order_by(contacts.c.created_at, contacts.c.id)
    )
    by_customer: dict[UUID, list[Contact]] = {i: [] for i in ids}
    for c in (await session.execute(query)).mappings():
        by_customer[c["customer_id"]].append(
            Contact(id=c["id"], kind=c["kind"], value=c["value"], e164=c["e164"], label=c["label"])
        )
    result = []
    for row in rows:
        found = by_customer[row["id"]]
        fields = {k: row[k] for k in Customer.__dataclass_fields__ if k not in ("phones", "emails")}
        result.append(
            Customer(
                **fields,
                phones=[c for c in found if c.kind == "phone"],
                emails=[c for c in found if c.kind == "email"],
            )
        )
    return result


def _conflict(exc: IntegrityError) -> Exception:
    if "account_number" in str(exc.orig):
        return Conflict("another customer already has this account number")
    return Conflict("the change conflicts with existing data")
