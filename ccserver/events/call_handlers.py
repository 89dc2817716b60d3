"""What each AMI event does to the live calls, legs and bridges of a `CallTracker`.

One small function per event name, looked up in `HANDLERS`. Handlers run after `apply` has found (or
created) the event's leg and call; an event that names no channel has neither.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ccserver.events.ami_fields import value
from ccserver.events.model import Bridge, Leg, TrackedEvent, bridge_key

if TYPE_CHECKING:
    from ccserver.events.tracker import CallTracker

INBOUND_CONTEXT = "from-pstn"


def _on_newstate(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    leg = e.leg
    if leg is None:  # the event named no channel (a damaged frame): nothing to update
        return
    leg.state = value(h, "ChannelStateDesc") or leg.state
    if leg.state in ("Ring", "Ringing") and leg.ringing_at is None:
        leg.ringing_at = e.occurred_at
        e.transitions.append("leg_ringing")
    elif leg.state == "Up" and leg.answered_at is None:
        leg.answered_at = e.occurred_at
        e.transitions.append("leg_answered")
    e.touched.append(leg)


def _on_callerid(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    if e.leg is None or e.call is None:
        return
    t.set_caller(e.leg, e.call, h)
    e.touched.extend((e.leg, e.call))


def _on_newexten(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    leg, call = e.leg, e.call
    if leg is None:
        return
    context, exten = value(h, "Context"), value(h, "Exten")
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
    dest = value(h, "DestUniqueid")
    if not dest:
        return None
    leg = t.legs.get(dest)
    if leg is None:
        leg = t.new_leg(h, dest, value(h, "DestLinkedid") or dest, e.occurred_at, e, prefix="Dest")
    return leg


def _on_dial_begin(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    dest = _dest_leg(t, h, e)
    if dest is None:
        return
    dest_call = t.call_of(dest)
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
        dest.dial_status = value(h, "DialStatus") or dest.dial_status
        e.touched.append(dest)
        e.leg = e.leg or dest
        e.call = e.call or t.call_of(dest)


def _on_dial_end(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    _on_dial_state(t, h, e)
    status = value(h, "DialStatus")
    if not value(h, "Uniqueid") or e.call is None:
        return  # an Originate's own dial: not a party of the call answering
    call = e.call
    call.last_dial_status = status
    if status == "ANSWER" and call.answered_at is None:
        call.answered_at = e.occurred_at
        e.transitions.append("call_answered")
        e.touched.append(call)


def _bridge(t: CallTracker, h: dict[str, Any], at: datetime) -> Bridge:
    uid = value(h, "BridgeUniqueid")
    bridge = t.bridges.get(uid)
    if bridge is None:
        bridge = Bridge(id=bridge_key(t.switch_id, uid), switch_id=t.switch_id, bridge_uniqueid=uid, created_at=at)
        t.bridges[uid] = bridge
    bridge.bridge_type = value(h, "BridgeType") or bridge.bridge_type
    bridge.technology = value(h, "BridgeTechnology") or bridge.technology
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
    prefix = "OrigTransferer" if value(h, "Event") == "AttendedTransfer" else "Transferer"
    leg = t.legs.get(value(h, prefix + "Uniqueid"))
    if leg is None:
        return
    call = t.call_of(leg)
    e.leg, e.call = leg, call
    if call is not None:
        call.transfer_count += 1
        e.touched.append(call)
        e.transitions.append("call_transferred")


def _on_rename(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    if e.leg is not None:
        e.leg.channel = value(h, "Newname") or e.leg.channel
        e.touched.append(e.leg)


def _on_hangup(t: CallTracker, h: dict[str, Any], e: TrackedEvent) -> None:
    leg = e.leg
    if leg is None:  # the event named no channel (a damaged frame): nothing to update
        return
    leg.hungup_at = e.occurred_at
    cause = value(h, "Cause")
    leg.hangup_cause = int(cause) if cause.isdigit() else None
    leg.hangup_cause_text = value(h, "Cause-txt") or None
    t.leg_ended(leg, e.call, e)


Handler = Callable[["CallTracker", dict[str, Any], TrackedEvent], None]
HANDLERS: dict[str, Handler] = {
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
BRIDGE_ONLY = {"BridgeCreate", "BridgeDestroy", "BridgeEnter", "BridgeLeave"}
