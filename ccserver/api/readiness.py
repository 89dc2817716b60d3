"""What `/readyz` asks. The composition root passes a checker covering the AMI links as well."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)


class Readiness(Protocol):
    async def check(self) -> dict[str, bool]:
        """One entry per dependency, e.g. {"database": True, "ami:pbx1": False}."""
        ...


class DatabaseReadiness:
    def __init__(self, engine: AsyncEngine, *, timeout: float = 2.0) -> None:
        self._engine = engine
        self._timeout = timeout

    async def check(self) -> dict[str, bool]:
        try:
            async with asyncio.timeout(self._timeout), self._engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure at all means "not ready"; the reason goes to the log
            log.warning("database not ready: %s", exc)
            return {"database": False}
        return {"database": True}
