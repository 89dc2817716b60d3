"""`ccserver.Acd*` call events written straight to call_events (the `acd_events` fixture)."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.tables import call_events


class AcdEvents:
    """`ccserver.Acd*` call events written to call_events the way the ACD's journal writes them: AMI-style
    headers in `raw`, ids the arrival time in microseconds, on a switch of the test's own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.switch_id = f"acd-{secrets.token_hex(5)}"
        self._bump = 0

    async def add(self, kind: str, at: datetime, **headers: str) -> None:
        """`await acd_events.add("Answered", at, Queue="billing", WaitedS="12.000")`"""
        self._bump += 1  # two events in one microsecond get consecutive ids, as JournalIds gives them
        name = f"ccserver.Acd{kind}"
        row = {
            "id": int(at.timestamp() * 1_000_000) + self._bump, "switch_id": self.switch_id,
            "call_id": uuid.uuid4(), "event": name, "occurred_at": at, "received_at": at,
            "raw": {"Event": name, "Linkedid": f"{at.timestamp():.6f}", **headers},
        }
        async with self.engine.begin() as conn:
            await conn.execute(insert(call_events).values(row))
