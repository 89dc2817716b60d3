"""The normaliser: AMI events of one switch in, calls/legs/bridges and journal entries out.

Pure and synchronous: no I/O, no clock (times come from the events), so a recorded trace replayed
offline gives exactly what the live switch gave.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ccserver.events.ami_fields import caller_id, duration, event_time, split_channel, value
from ccserver.events.call_handlers import BRIDGE_ONLY, HANDLERS
from ccserver.events.journal_ids import JournalIds
from ccserver.events.model import Bridge, Call, Leg, TrackedEvent, call_key, leg_key

log = logging.getLogger(__name__)

PhoneNormaliser = Callable[[str], "str | None"]

# DialEnd statuses of the last dial attempt, for a call no one answered.
_UNANSWERED_OUTCOME = {
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CANCEL": "abandoned",
    "CONGESTION": "failed",
    "CHANUNAVAIL": "failed",
    "DONTCALL": "failed",
    "TORTURE": "failed",
    "INVALIDARGS": "failed",
}


class _RecentlyGone:
    """The uniqueids of the last `size` legs that ended. A bounded deque alone would do, but `in` on a
    deque scans it: at 4,096 entries that was most of the normaliser's time under load."""

    def __init__(self, size: int) -> None:
        self._order: deque[str] = deque()
        self._count: dict[str, int] = {}
        self._size = size

    def __contains__(self, uniqueid: object) -> bool:
        return uniqueid in self._count

    def append(self, uniqueid: str) -> None:
        if len(self._order) == self._size:
            oldest = self._order.popleft()
            left = self._count[oldest] - 1
            if left:
                self._count[oldest] = left
            else:
                del self._count[oldest]
        self._order.append(uniqueid)
        self._count[uniqueid] = self._count.get(uniqueid, 0) + 1


class CallTracker:
    """Live calls of one switch, kept current event by event."""

    def __init__(self, switch_id: str, *, ids: JournalIds, normalise_phone: PhoneNormaliser) -> None:
        self.switch_id = switch_id
        self._ids = ids
        self._normalise_phone = normalise_phone
        self.calls: dict[str, Call] = {}  # by linkedid
        self.calls_by_id: dict[Any, Call] = {}
        self.legs: dict[str, Leg] = {}  # by uniqueid
        self.bridges: dict[str, Bridge] = {}  # by bridge uniqueid
        self._recently_gone = _RecentlyGone(4096)

    # ---- the event path ------------------------------------------------------------------------

    def apply(self, headers: dict[str, Any], received_at: datetime) -> TrackedEvent | None:
        """Apply one AMI event. None when it is not about a call (e.g. FullyBooted, DeviceStateChange)."""
        name = value(headers, "Event")
        handler = HANDLERS.get(name)
        uniqueid = value(headers, "Uniqueid")
        named = None
        if handler is None and not uniqueid:
            # Events about channels under other names (LocalBridge's LocalOneUniqueid, ChanSpyStart's
            # SpyerUniqueid, ...) belong to the call of the live channel they name; others are not ours.
            named = self._live_leg_named_in(headers)
            if named is None:
                return None
        occurred = event_time(headers, received_at)
        # Positional: keyword arguments to a slots dataclass cost 0.3 µs an event. The order is
        # id, switch_id, name, headers, occurred_at, received_at, call, leg, touched, transitions.
        entry = TrackedEvent(0, self.switch_id, name, headers, occurred, received_at, None, None, [], [])
        if uniqueid and uniqueid in self._recently_gone:
            # A straggler about a channel already hung up: journal it under that call, change nothing.
            entry.call_id = call_key(self.switch_id, value(headers, "Linkedid") or uniqueid)
            entry.leg_id = leg_key(self.switch_id, uniqueid)
            entry.id = self._ids.next()
            return entry
        if uniqueid:
            entry.leg = self._leg_for(headers, uniqueid, occurred, entry)
            entry.call = self.calls_by_id.get(entry.leg.call_id)
        elif named is not None:
            entry.leg = named
            entry.call = self.calls_by_id.get(named.call_id)
        if handler is not None:
            handler(self, headers, entry)
        if entry.call is None and entry.leg is None and name not in BRIDGE_ONLY:
            return None
        return self._stamp(entry)

    def _live_leg_named_in(self, headers: dict[str, Any]) -> Leg | None:
        for key, field in headers.items():
            if key.endswith("Uniqueid") and isinstance(field, str) and field in self.legs:
                return self.legs[field]
        return None

    def _stamp(self, entry: TrackedEvent) -> TrackedEvent:
        entry.id = self._ids.next()
        if entry.call is not None:
            entry.call_id = entry.call.id
        if entry.leg is not None:
            entry.leg_id = entry.leg.id
            entry.call_id = entry.call_id or entry.leg.call_id
        return entry

    # ---- resynchronisation ---------------------------------------------------------------------

    def mark_stale(self, at: datetime) -> list[TrackedEvent]:
        """The AMI link is down: what we know of live calls may be out of date."""
        out = []
        for call in self.calls.values():
            if not call.stale:
                call.stale = True
                out.append(self._synthetic("ccserver.LinkLost", at, call, None, {"reason": "AMI link down"}))
        return out

    def reconcile(
        self, known_before: set[str], channels: Iterable[dict[str, Any]], at: datetime
    ) -> list[TrackedEvent]:
        """Make live state match a `CoreShowChannels` snapshot taken at `at`.

        `known_before` are the channels we knew when the snapshot was asked for: only those can be
        gone; a channel created while the snapshot was on its way is simply not in it yet.
        """
        snapshot = {value(c, "Uniqueid"): c for c in channels if value(c, "Uniqueid")}
        out: list[TrackedEvent] = []
        for uniqueid in [u for u in self.legs if u in known_before and u not in snapshot]:
            leg = self.legs[uniqueid]
            out.append(self._close_leg(leg, at, "channel no longer on the switch"))
        for uniqueid, channel in snapshot.items():
            if uniqueid in self.legs or uniqueid in self._recently_gone:
                continue
            out.append(self._adopt(channel, at))
        for call in self.calls.values():
            if call.stale:
                call.stale = False
                out.append(self._synthetic("ccserver.Resynced", at, call, None, {"live_legs": len(call.live_legs)}))
        return out

    def restore(self, calls: Iterable[Call], legs: Iterable[Leg]) -> None:
        """Load open calls recorded before a ccserver restart; `reconcile` then settles them."""
        by_id = {}
        for call in calls:
            call.stale = True
            self.calls[call.linkedid] = call
            self.calls_by_id[call.id] = call
            by_id[call.id] = call
        for leg in legs:
            call = by_id.get(leg.call_id)
            if call is None or leg.hungup_at is not None:
                continue
            self.legs[leg.uniqueid] = leg
            call.live_legs.add(leg.uniqueid)

    # ---- helpers -------------------------------------------------------------------------------

    def call_of(self, leg: Leg | None) -> Call | None:
        return None if leg is None else self.calls_by_id.get(leg.call_id)

    def _leg_for(self, headers: dict[str, Any], uniqueid: str, at: datetime, entry: TrackedEvent) -> Leg:
        leg = self.legs.get(uniqueid)
        if leg is None:
            leg = self.new_leg(headers, uniqueid, value(headers, "Linkedid") or uniqueid, at, entry)
        return leg

    def new_leg(
        self, headers: dict[str, Any], uniqueid: str, linkedid: str, at: datetime, entry: TrackedEvent,
        prefix: str = "",
    ) -> Leg:
        call = self.calls.get(linkedid)
        if call is None:
            call = Call(id=call_key(self.switch_id, linkedid), switch_id=self.switch_id, linkedid=linkedid,
                        started_at=at)
            self.calls[linkedid] = call
            self.calls_by_id[call.id] = call
            entry.transitions.append("call_started")
        channel = value(headers, prefix + "Channel")
        tech, endpoint = split_channel(channel)
        leg = Leg(
            id=leg_key(self.switch_id, uniqueid), call_id=call.id, switch_id=self.switch_id, uniqueid=uniqueid,
            channel=channel, tech=tech, endpoint=endpoint,
            role="originator" if uniqueid == linkedid else "other", created_at=at,
            state=value(headers, prefix + "ChannelStateDesc") or "Down",
            context=value(headers, prefix + "Context") or None, exten=value(headers, prefix + "Exten") or None,
        )
        self.set_caller(leg, call, headers, prefix)
        self.legs[uniqueid] = leg
        call.live_legs.add(uniqueid)
        entry.touched.extend((call, leg))
        entry.transitions.append("leg_created")
        return leg

    def set_caller(self, leg: Leg, call: Call, headers: dict[str, Any], prefix: str = "") -> None:
        leg.caller_number = caller_id(value(headers, prefix + "CallerIDNum"))
        leg.caller_name = caller_id(value(headers, prefix + "CallerIDName"))
        leg.connected_number = caller_id(value(headers, prefix + "ConnectedLineNum"))
        leg.connected_name = caller_id(value(headers, prefix + "ConnectedLineName"))
        if leg.role == "originator" and leg.caller_number != call.caller_number:
            call.caller_number = leg.caller_number
            call.caller_name = leg.caller_name
            call.caller_e164 = self._normalise_phone(leg.caller_number) if leg.caller_number else None
        elif leg.role == "originator":
            call.caller_name = leg.caller_name

    def _close_leg(self, leg: Leg, at: datetime, reason: str) -> TrackedEvent:
        call = self.call_of(leg)
        entry = self._synthetic("ccserver.LegGone", at, call, leg, {"reason": reason})
        leg.hungup_at = at
        leg.hangup_cause_text = reason
        self.leg_ended(leg, call, entry)
        return entry

    def _adopt(self, channel: dict[str, Any], at: datetime) -> TrackedEvent:
        uniqueid = value(channel, "Uniqueid")
        started = at - duration(value(channel, "Duration"))
        entry = self._synthetic("ccserver.LegFound", at, None, None, dict(channel))
        leg = self.new_leg(channel, uniqueid, value(channel, "Linkedid") or uniqueid, started, entry)
        if leg.state == "Up":
            leg.answered_at = started
        leg.bridge_id = value(channel, "BridgeId") or None
        entry.leg, entry.call = leg, self.call_of(leg)
        return self._stamp(entry)

    def _synthetic(
        self, name: str, at: datetime, call: Call | None, leg: Leg | None, detail: dict[str, Any]
    ) -> TrackedEvent:
        headers = {"Event": name, **{k: str(v) for k, v in detail.items()}}
        if leg is not None:
            headers.setdefault("Uniqueid", leg.uniqueid)
        if call is not None:
            headers.setdefault("Linkedid", call.linkedid)
        return self._stamp(TrackedEvent(
            id=0, switch_id=self.switch_id, name=name, headers=headers, occurred_at=at,
            received_at=at, call=call, leg=leg, touched=[e for e in (call, leg) if e is not None],
            transitions=[],
        ))

    def leg_ended(self, leg: Leg, call: Call | None, entry: TrackedEvent) -> None:
        self.legs.pop(leg.uniqueid, None)
        self._recently_gone.append(leg.uniqueid)
        entry.transitions.append("leg_hungup")
        entry.touched.append(leg)
        if call is None:
            return
        call.live_legs.discard(leg.uniqueid)
        if leg.role == "originator":
            call.hangup_cause = leg.hangup_cause
            call.hangup_cause_text = leg.hangup_cause_text
        if not call.live_legs:
            call.state = "ended"
            call.ended_at = leg.hungup_at
            call.stale = False
            call.outcome = "answered" if call.answered_at else _UNANSWERED_OUTCOME.get(
                call.last_dial_status or "", "not_dialed"
            )
            self.calls.pop(call.linkedid, None)
            self.calls_by_id.pop(call.id, None)
            entry.transitions.append("call_ended")
        entry.touched.append(call)
