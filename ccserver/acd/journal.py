"""The ACD's part of a call's story in the journal: `ccserver.Acd*` call events on the bus
(queued, offered, answered, requeued, escalated, overflowed, callback requested, abandoned, ended).
KPIs (ASA, abandon rate, service level) read them with the call's other events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ccserver.events.bus import EventBus
from ccserver.events.journal_ids import JournalIds
from ccserver.events.model import TrackedEvent, call_key, leg_key


class AcdJournal:
    def __init__(self, *, bus: EventBus, ids: JournalIds, clock: Callable[[], datetime]) -> None:
        self._bus = bus
        self._ids = ids
        self._clock = clock

    def publish(self, kind: str, *, switch_id: str, linkedid: str, uniqueid: str | None, **detail: Any) -> None:
        now = self._clock()
        name = f"ccserver.Acd{kind}"
        headers: dict[str, Any] = {"Event": name, "Linkedid": linkedid}
        if uniqueid:
            headers["Uniqueid"] = uniqueid
        # AMI-style header names: waited_s -> WaitedS
        headers.update({key.title().replace("_", ""): _text(v) for key, v in detail.items() if v is not None})
        entry = TrackedEvent(
            self._ids.next(), switch_id, name, headers, now, now, None, None, [], [],
            call_id=call_key(switch_id, linkedid), leg_id=leg_key(switch_id, uniqueid) if uniqueid else None,
        )
        self._bus.publish(entry)


def _text(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, str | list | dict):
        return value
    return str(value)
