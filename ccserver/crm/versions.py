"""Optimistic concurrency shared by the versioned rows (agents, queues): why a guarded write missed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, select
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.errors import CrmError, NotFound, VersionMismatch


async def gone_or_stale(
    session: AsyncSession, *, what: str, key: Column[Any], version: Column[Any], ident: Any, expected: int | None
) -> CrmError:
    """A guarded UPDATE/DELETE touched no row: the row is gone, or its version moved on. Rolls back."""
    await session.rollback()
    current = (await session.execute(select(version).where(key == ident))).scalar_one_or_none()
    if current is None or expected is None:
        return NotFound(what, ident)
    return VersionMismatch(current=current, expected=expected)
