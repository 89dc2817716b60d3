"""Puts a caller's IVR path on the journal: IvrEvents become `ccserver.Ivr*` call events on the bus,
and the call's IvrSession row (path, collected values, routing, outcome) is kept current with them.

Call and leg ids are the deterministic keys of events/model.py, so these events land on the right call
even when the AGI session reports before the AMI journal has seen the channel.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ccserver.events.bus import EventBus
from ccserver.events.journal_ids import JournalIds
from ccserver.events.model import IvrSession, TrackedEvent, call_key, leg_key
from ccserver.ivr.commands import IvrEvent


def _header_value(value: Any) -> Any:
    """Journal headers are AMI-like: scalars as text; lists and maps stay structured in the JSONB."""
    if isinstance(value, str | list | dict) or value is None:
        return value
    return str(value)


RECENT_KEPT = 10_000  # sessions kept in memory for the agents' screen-pops (the database has them all)


class IvrRecorder:
    def __init__(self, *, bus: EventBus, ids: JournalIds, clock: Callable[[], datetime]) -> None:
        self._bus = bus
        self._ids = ids
        self._clock = clock
        self._recent: OrderedDict[uuid.UUID, IvrSession] = OrderedDict()

    def recent(self, call_id: uuid.UUID) -> IvrSession | None:
        """The call's latest IVR session, if this process ran it lately: a screen-pop must not wait
        for the journal to store it."""
        return self._recent.get(call_id)

    def open(
        self, *, switch_id: str, uniqueid: str, linkedid: str, flow: str, flow_version: str, language: str
    ) -> IvrSession:
        now = self._clock()
        session = IvrSession(
            id=uuid.uuid4(), call_id=call_key(switch_id, linkedid), switch_id=switch_id, uniqueid=uniqueid,
            linkedid=linkedid, flow=flow, flow_version=flow_version, started_at=now, language=language,
            leg_id=leg_key(switch_id, uniqueid),
        )
        self._recent[session.call_id] = session
        self._recent.move_to_end(session.call_id)
        if len(self._recent) > RECENT_KEPT:
            self._recent.popitem(last=False)
        self._publish(session, "IvrStarted", {"Flow": flow, "FlowVersion": flow_version, "Language": language})
        return session

    def record(self, session: IvrSession, events: tuple[IvrEvent, ...]) -> None:
        for event in events:
            self._apply(session, event)
            detail = {"Flow": event.flow, "Node": event.node}
            detail.update({key.title().replace("_", ""): _header_value(v) for key, v in event.detail.items()})
            self._publish(session, event.kind, detail)

    def close(self, session: IvrSession, *, outcome: str, reason: str = "") -> None:
        """The AGI session is over. `outcome` is the flow's, or e.g. "abandoned" when the caller hung up."""
        session.ended_at = self._clock()
        session.outcome = session.outcome or outcome
        session.reason = session.reason or reason or None
        self._publish(session, "IvrEnded", {"Outcome": session.outcome, "Reason": session.reason or ""})

    def note(self, session: IvrSession, kind: str, detail: dict[str, Any]) -> None:
        """A runner-side fact about the session (e.g. where a message was stored, an AGI error)."""
        self._publish(session, kind, {key: _header_value(v) for key, v in detail.items()})

    @staticmethod
    def _apply(session: IvrSession, event: IvrEvent) -> None:
        detail = event.detail
        if event.kind == "NodeEntered":
            session.path.append(f"{event.flow}:{event.node}")
        elif event.kind == "ValueCollected":
            session.collected[str(detail.get("name"))] = detail.get("value")
        elif event.kind == "LanguageSet":
            session.language = str(detail.get("language", session.language))
        elif event.kind == "Lookup" and detail.get("customer_id"):
            session.customer_id = uuid.UUID(str(detail["customer_id"]))
        elif event.kind == "Finished":
            session.outcome = str(detail.get("outcome")) if detail.get("outcome") else None
            session.reason = str(detail.get("reason")) if detail.get("reason") else None

    def _publish(self, session: IvrSession, kind: str, detail: dict[str, Any]) -> None:
        now = self._clock()
        name = kind if kind.startswith("ccserver.") else f"ccserver.{kind if kind.startswith('Ivr') else 'Ivr' + kind}"
        headers = {"Event": name, "Uniqueid": session.uniqueid, "Linkedid": session.linkedid, **detail}
        entry = TrackedEvent(
            self._ids.next(), session.switch_id, name, headers, now, now, None, None, [session], [],
            call_id=session.call_id, leg_id=session.leg_id,
        )
        self._bus.publish(entry)
