"""The normaliser: AMI events of one switch in, calls/legs/bridges and journal entries out.

Pure and synchronous: no I/O, no clock (times come from the events), so a recorded trace replayed
offline gives exactly what the live switch gave.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from ccserver.events.journal_ids import JournalIds
from ccserver.events.model import Bridge, Call, Leg, TrackedEvent, bridge_key, call_key, leg_key

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
_UNKNOWN_CALLER_ID = {"", "<unknown>", "unknown", "anonymous"}
INBOUND_CONTEXT = "from-pstn"


def _value(headers: dict[str, Any], key: str) -> str:
    value = headers.get(key, "")
    if isinstance(value, list):
        return value[0] if value else ""
    return value


def _caller_id(value: str) -> str | None:
    return None if value.strip().lower() in _UNKNOWN_CALLER_ID else value


def event_time(headers: dict[str, Any], received_at: datetime) -> datetime:
    stamp = _value(headers, "Timestamp")
    if stamp:
        try:
            return datetime.fromtimestamp(float(stamp), UTC)  # tz positional: 0.1 µs cheaper than tz=
        except (ValueError, OverflowError):
            pass
    return received_at


def split_channel(channel: str) -> tuple[str, str | None]:
    """`PJSIP/1001-0000002a` -> (PJSIP, 1001); `Local/20102@sim-callee-00000004;1` -> (Local, 20102@sim-callee)."""
    tech, sep, rest = channel.partition("/")
    if not sep:
        return channel or "unknown", None
    if tech == "Local":
        rest = rest.rsplit(";", 1)[0]
    name, dash, suffix = rest.rpartition("-")
    if dash and suffix and all(c in "0123456789abcdef" for c in suffix.lower()):
        rest = name
    return tech, rest or None


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


def _duration(value: str) -> timedelta:
    try:
        hours, minutes, seconds = (int(p) for p in value.split(":"))
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except ValueError:
        return timedelta(0)


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
        name = _value(headers, "Event")
        handler = _HANDLERS.get(name)
        uniqueid = _value(headers, "Uniqueid")
        if handler is None and not uniqueid:
            return None  # what the end of this method would say, without building an entry first
        occurred = event_time(headers, received_at)
        # Positional: keyword arguments to a slots dataclass cost 0.3 µs an event. The order is
        # id, switch_id, name, headers, occurred_at, received_at, call, leg, touched, transitions.
        entry = TrackedEvent(0, self.switch_id, name, headers, occurred, received_at, None, None, [], [])
        if uniqueid and uniqueid in self._recently_gone:
            # A straggler about a channel already hung up: journal it under that call, change nothing.
            entry.call_id = call_key(self.switch_id, _value(headers, "Linkedid") or uniqueid)
            entry.leg_id = leg_key(self.switch_id, uniqueid)
            entry.id = self._ids.next()
            return entry
        if uniqueid:
            entry.leg = self._leg_for(headers, uniqueid, occurred, entry)
            entry.call = self.calls_by_id.get(entry.leg.call_id)
        if handler is not None:
            handler(self, headers, entry)
        if entry.call is None and entry.leg is None and name not in _BRIDGE_ONLY:
            return None
        return self._stamp(entry)

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
        snapshot = {_value(c, "Uniqueid"): c for c in channels if _value(c, "Uniqueid")}
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

    def _call_by_id(self, leg: Leg | None) -> Call | None:
        return None if leg is None else self.calls_by_id.get(leg.call_id)

    def _leg_for(self, headers: dict[str, Any], uniqueid: str, at: datetime, entry: TrackedEvent) -> Leg:
        leg = self.legs.get(uniqueid)
        if leg is None:
            leg = self._new_leg(headers, uniqueid, _value(headers, "Linkedid") or uniqueid, at, entry)
        return leg

    def _new_leg(
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
        channel = _value(headers, prefix + "Channel")
        tech, endpoint = split_channel(channel)
        leg = Leg(
            id=leg_key(self.switch_id, uniqueid), call_id=call.id, switch_id=self.switch_id, uniqueid=uniqueid,
            channel=channel, tech=tech, endpoint=endpoint,
            role="originator" if uniqueid == linkedid else "other", created_at=at,
            state=_value(headers, prefix + "ChannelStateDesc") or "Down",
            context=_value(headers, prefix + "Context") or None, exten=_value(headers, prefix + "Exten") or None,
        )
        self._set_caller(leg, call, headers, prefix)
        self.legs[uniqueid] = leg
        call.live_legs.add(uniqueid)
        entry.touched.extend((call, leg))
        entry.transitions.append("leg_created")
        return leg

    def _set_caller(self, leg: Leg, call: Call, headers: dict[str, Any], prefix: str = "") -> None:
        leg.caller_number = _caller_id(_value(headers, prefix + "CallerIDNum"))
        leg.caller_name = _caller_id(_value(headers, prefix + "CallerIDName"))
        leg.connected_number = _caller_id(_value(headers, prefix + "ConnectedLineNum"))
        leg.connected_name = _caller_id(_value(headers, prefix + "ConnectedLineName"))
        if leg.role == "originator" and leg.caller_number != call.caller_number:
            call.caller_number = leg.caller_number
            call.caller_name = leg.caller_name
            call.caller_e164 = self._normalise_phone(leg.caller_number) if leg.caller_number else None
        elif leg.role == "originator":
            call.caller_name = leg.caller_name

    def _close_leg(self, leg: Leg, at: datetime, reason: str) -> TrackedEvent:
        call = self._call_by_id(leg)
        entry = self._synthetic("ccserver.LegGone", at, call, leg, {"reason": reason})
        leg.hungup_at = at
        leg.hangup_cause_text = reason
        self._leg_ended(leg, call, entry)
        return entry

    def _adopt(self, channel: dict[str, Any], at: datetime) -> TrackedEvent:
        uniqueid = _value(channel, "Uniqueid")
        started = at - _duration(_value(channel, "Duration"))
        entry = self._synthetic("ccserver.LegFound", at, None, None, dict(channel))
        leg = self._new_leg(channel, uniqueid, _value(channel, "Linkedid") or uniqueid, started, entry)
        if leg.state == "Up":
            leg.answered_at = started
        leg.bridge_id = _value(channel, "BridgeId") or None
        entry.leg, entry.call = leg, self._call_by_id(leg)
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

    def _leg_ended(self, leg: Leg, call: Call | None, entry: TrackedEvent) -> None:
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


# ---- per-event handlers ----------------------------------------------------------------------------

def _on_newstate(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    leg = e.leg
    assert leg is not None
    leg.state = _value(h, "ChannelStateDesc") or leg.state
    if leg.state in ("Ring", "Ringing") and leg.ringing_at is None:
        leg.ringing_at = e.occurred_at
        e.transitions.append("leg_ringing")
    elif leg.state == "Up" and leg.answered_at is None:
        leg.answered_at = e.occurred_at
        e.transitions.append("leg_answered")
    e.touched.append(leg)


def _on_callerid(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    assert e.leg is not None and e.call is not None
    t._set_caller(e.leg, e.call, h)
    e.touched.extend((e.leg, e.call))


def _on_newexten(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    leg, call = e.leg, e.call
    assert leg is not None
    context, exten = _value(h, "Context"), _value(h, "Exten")
    if (context, exten) == (leg.context, leg.exten):
        return
    leg.context, leg.exten = context or None, exten or None
    e.touched.append(leg)
    if call is not None and leg.role == "originator" and context == INBOUND_CONTEXT and call.direction != "inbound":
        call.direction = "inbound"
        call.dialed_number = exten
        e.touched.append(call)
        e.transitions.append("call_inbound")


def _dest_leg(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> Leg | None:
    dest = _value(h, "DestUniqueid")
    if not dest:
        return None
    leg = t.legs.get(dest)
    if leg is None:
        leg = t._new_leg(h, dest, _value(h, "DestLinkedid") or dest, e.occurred_at, e, prefix="Dest")
    return leg


def _on_dial_begin(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    dest = _dest_leg(t, h, e)
    if dest is None:
        return
    dest_call = t._call_by_id(dest)
    if e.leg is not None:
        if dest.role != "originator":
            dest.role = "dialed"
    elif dest_call is not None and dest.role == "originator" and dest_call.direction == "internal":
        dest_call.direction = "outbound"  # placed by an AMI Originate
        e.touched.append(dest_call)
    e.leg = e.leg or dest
    e.call = e.call or dest_call
    e.touched.append(dest)


def _on_dial_state(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    dest = _dest_leg(t, h, e)
    if dest is not None:
        dest.dial_status = _value(h, "DialStatus") or dest.dial_status
        e.touched.append(dest)
        e.leg = e.leg or dest
        e.call = e.call or t._call_by_id(dest)


def _on_dial_end(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    _on_dial_state(t, h, e)
    status = _value(h, "DialStatus")
    if not _value(h, "Uniqueid") or e.call is None:
        return  # an Originate's own dial: not a party of the call answering
    call = e.call
    call.last_dial_status = status
    if status == "ANSWER" and call.answered_at is None:
        call.answered_at = e.occurred_at
        e.transitions.append("call_answered")
        e.touched.append(call)


def _bridge(t: CallTracker, h: dict[str, Any], at: datetime) -> Bridge:
    uid = _value(h, "BridgeUniqueid")
    bridge = t.bridges.get(uid)
    if bridge is None:
        bridge = Bridge(id=bridge_key(t.switch_id, uid), switch_id=t.switch_id, bridge_uniqueid=uid, created_at=at)
        t.bridges[uid] = bridge
    bridge.bridge_type = _value(h, "BridgeType") or bridge.bridge_type
    bridge.technology = _value(h, "BridgeTechnology") or bridge.technology
    return bridge


def _on_bridge_create(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    e.touched.append(_bridge(t, h, e.occurred_at))


def _on_bridge_enter(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    bridge = _bridge(t, h, e.occurred_at)
    if e.leg is not None:
        e.leg.bridge_id = bridge.bridge_uniqueid
        bridge.members.add(e.leg.uniqueid)
        bridge.max_members = max(bridge.max_members, len(bridge.members))
        e.touched.append(e.leg)
    if bridge.call_id is None and e.call is not None:
        bridge.call_id = e.call.id
    e.touched.append(bridge)


def _on_bridge_leave(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    bridge = _bridge(t, h, e.occurred_at)
    if e.leg is not None:
        e.leg.bridge_id = None
        bridge.members.discard(e.leg.uniqueid)
        e.touched.append(e.leg)
    e.touched.append(bridge)


def _on_bridge_destroy(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    bridge = _bridge(t, h, e.occurred_at)
    bridge.destroyed_at = e.occurred_at
    t.bridges.pop(bridge.bridge_uniqueid, None)
    e.touched.append(bridge)


def _on_transfer(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    prefix = "OrigTransferer" if _value(h, "Event") == "AttendedTransfer" else "Transferer"
    leg = t.legs.get(_value(h, prefix + "Uniqueid"))
    if leg is None:
        return
    call = t._call_by_id(leg)
    e.leg, e.call = leg, call
    if call is not None:
        call.transfer_count += 1
        e.touched.append(call)
        e.transitions.append("call_transferred")


def _on_rename(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    if e.leg is not None:
        e.leg.channel = _value(h, "Newname") or e.leg.channel
        e.touched.append(e.leg)


def _on_hangup(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    leg = e.leg
    assert leg is not None
    leg.hungup_at = e.occurred_at
    cause = _value(h, "Cause")
    leg.hangup_cause = int(cause) if cause.isdigit() else None
    leg.hangup_cause_text = _value(h, "Cause-txt") or None
    t._leg_ended(leg, e.call, e)


_Handler = Callable[[CallTracker, dict[str, Any], TrackedEvent], None]
_HANDLERS: dict[str, _Handler] = {
    "Newstate": _on_newstate,
    "NewCallerid": _on_callerid,
    "NewConnectedLine": _on_callerid,
    "Newexten": _on_newexten,
    "DialBegin": _on_dial_begin,
    "DialState": _on_dial_state,
    "DialEnd": _on_dial_end,
    "BridgeCreate": _on_bridge_create,
    "BridgeEnter": _on_bridge_enter,
    "BridgeLeave": _on_bridge_leave,
    "BridgeDestroy": _on_bridge_destroy,
    "BlindTransfer": _on_transfer,
    "AttendedTransfer": _on_transfer,
    "Rename": _on_rename,
    "Hangup": _on_hangup,
}
_BRIDGE_ONLY = {"BridgeCreate", "BridgeDestroy", "BridgeEnter", "BridgeLeave"}
