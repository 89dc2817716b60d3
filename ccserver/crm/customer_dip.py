"""The IVR's data dip: one customer by caller id or by account number, as the plain fields a flow reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.phones import to_e164
from ccserver.crm.tables import contacts, customers

DIP_FIELDS = ("id", "name", "account_number", "tier", "language", "custom_fields")


async def find_customer_for_ivr(
    *, session: AsyncSession, by: str, value: str, default_region: str
) -> dict[str, Any] | None:
    """by="caller_id": the customer owning that number (the newest contact wins, as for call matching);
    by="account": the customer with that account number. None when there is none or `value` is unusable."""
    columns = [customers.c[name] for name in DIP_FIELDS]
    if by == "caller_id":
        e164 = to_e164(value, default_region=default_region)
        if e164 is None:
            return None
        query = (
            select(*columns).join(contacts, contacts.c.customer_id == customers.c.id)
            .where(contacts.c.kind == "phone", contacts.c.e164 == e164)
            .order_by(contacts.c.created_at.desc()).limit(1)
        )
    elif by == "account":
        if not value:
            return None
        query = select(*columns).where(customers.c.account_number == value)
    else:
        raise ValueError(f"unknown lookup key {by!r}")
    row = (await session.execute(query)).mappings().first()
    if row is None:
        return None
    found = dict(row)
    found["id"] = str(found["id"])
    return found
