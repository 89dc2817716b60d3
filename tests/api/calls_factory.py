"""Journal rows (calls, legs, bridges, events) written straight to the tables, the way the journal
writer would, so the read API can be checked against known data. Used through the `journal` fixture."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.tables import bridges, call_events, calls, legs

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class Journal:
    """Writes calls, legs, bridges and events the way the journal writer would."""

    def __init__(self, engine: AsyncEngine, switch_id: str) -> None:
        self.engine = engine
        self.switch_id = switch_id
        # call_events ids are global; each test draws its own block so tests never collide.
        self._next_event_id = secrets.randbelow(2**40) * 1000 + 1

    async def call(self, *, started_at: datetime = T0, **fields: Any) -> uuid.UUID:
        call_id = uuid.uuid4()
        row = {
            "id": call_id,
            "switch_id": self.switch_id,
            "linkedid": f"{started_at.timestamp():.6f}-{call_id.hex[:6]}",
            "direction": "inbound",
            "state": "ended",
            "outcome": "answered",
            "started_at": started_at,
            **fields,
        }
        async with self.engine.begin() as conn:
            await conn.execute(insert(calls).values(row))
        return call_id

    async def leg(
        self, call_id: uuid.UUID, *, created_at: datetime, channel: str, **fields: Any
    ) -> uuid.UUID:
        leg_id = uuid.uuid4()
        row = {
            "id": leg_id,
            "call_id": call_id,
            "switch_id": self.switch_id,
            "uniqueid": f"{created_at.timestamp():.6f}-{leg_id.hex[:6]}",
            "channel": channel,
            "tech": channel.split("/", 1)[0],
            "role": "other",
            "state": "Up",
            "created_at": created_at,
            **fields,
        }
        async with self.engine.begin() as conn:
            await conn.execute(insert(legs).values(row))
        return leg_id

    async def bridge(self, call_id: uuid.UUID, *, created_at: datetime) -> uuid.UUID:
        bridge_id = uuid.uuid4()
        row = {
            "id": bridge_id,
            "call_id": call_id,
            "switch_id": self.switch_id,
            "bridge_uniqueid": bridge_id.hex,
            "bridge_type": "basic",
            "created_at": created_at,
            "max_members": 2,
        }
        async with self.engine.begin() as conn:
            await conn.execute(insert(bridges).values(row))
        return bridge_id

    async def events(self, call_id: uuid.UUID, names: list[str]) -> list[int]:
        first_id, self._next_event_id = self._next_event_id, self._next_event_id + len(names)
        rows = [
            {
                "id": first_id + i,
                "switch_id": self.switch_id,
                "call_id": call_id,
                "event": name,
                "occurred_at": T0 + timedelta(seconds=i),
                "received_at": T0 + timedelta(seconds=i),
                "raw": {"Event": name, "Seq": i},
            }
            for i, name in enumerate(names)
        ]
        async with self.engine.begin() as conn:
            await conn.execute(insert(call_events), rows)
        return [r["id"] for r in rows]
