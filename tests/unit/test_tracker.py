"""The normaliser's state machine on hand-written events (the recorded traces cover real sequences)."""

from __future__ import annotations

from datetime import UTC, datetime

from ccserver.events.journal_ids import JournalIds
from ccserver.events.tracker import CallTracker

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _tracker() -> CallTracker:
    return CallTracker("pbx1", ids=JournalIds(), normalise_phone=lambda n: n if n.startswith("+") else None)


def _channel(event: str, uniqueid: str, linkedid: str, stamp: float, **more: str) -> dict[str, str]:
    return {
        "Event": event, "Channel": f"PJSIP/trunk-{uniqueid[-4:]}", "Uniqueid": uniqueid, "Linkedid": linkedid,
        "ChannelStateDesc": "Ring", "CallerIDNum": "+14155550100", "CallerIDName": "Ada", "Context": "from-pstn",
        "Exten": "5550100", "Timestamp": f"{T0.timestamp() + stamp:.6f}", **more,
    }


def test_damaged_frames_without_a_channel_change_nothing_and_do_not_raise() -> None:
    tracker = _tracker()
    for event in ("Hangup", "NewCallerid", "Newstate", "Newexten", "Rename", "DialEnd"):
        assert tracker.apply({"Event": event, "Cause": "16"}, T0) is None
    assert not tracker.calls and not tracker.legs


def test_a_channel_gone_while_the_link_was_down_is_closed_at_resync_but_a_new_one_is_kept() -> None:
    tracker = _tracker()
    tracker.apply(_channel("Newchannel", "1.1", "1.1", 0), T0)
    known = set(tracker.legs)
    stale = tracker.mark_stale(T0)
    assert [e.name for e in stale] == ["ccserver.LinkLost"] and tracker.calls["1.1"].stale
    # a channel created after the snapshot was asked for: not in it, but must not be closed
    tracker.apply(_channel("Newchannel", "2.1", "2.1", 1), T0)
    out = tracker.reconcile(known, channels=[], at=T0)
    assert [e.name for e in out] == ["ccserver.LegGone"]
    assert "1.1" not in tracker.calls and "2.1" in tracker.calls
    assert "call_ended" in out[0].transitions and out[0].call is not None and out[0].call.outcome == "not_dialed"


def test_a_channel_found_at_resync_is_adopted_with_its_age() -> None:
    tracker = _tracker()
    out = tracker.reconcile(set(), [{
        "Event": "CoreShowChannel", "Channel": "PJSIP/1001-00000001", "Uniqueid": "9.1", "Linkedid": "9.0",
        "ChannelStateDesc": "Up", "CallerIDNum": "1001", "Duration": "00:01:05", "BridgeId": "b-1",
    }], at=T0)
    (found,) = out
    assert found.name == "ccserver.LegFound" and found.leg is not None
    assert (T0 - found.leg.created_at).total_seconds() == 65 and found.leg.bridge_id == "b-1"
    assert found.leg.endpoint == "1001" and found.call is not None and found.call.linkedid == "9.0"


def test_late_events_for_a_hung_up_channel_are_journaled_under_its_call_without_reviving_it() -> None:
    tracker = _tracker()
    tracker.apply(_channel("Newchannel", "3.1", "3.1", 0), T0)
    ended = tracker.apply(_channel("Hangup", "3.1", "3.1", 5, Cause="16", **{"Cause-txt": "Normal Clearing"}), T0)
    assert ended is not None and "call_ended" in ended.transitions
    late = tracker.apply(_channel("SoftHangupRequest", "3.1", "3.1", 5.1), T0)
    assert late is not None and late.call_id == ended.call_id and late.touched == []
    assert not tracker.calls and not tracker.legs


def test_events_naming_a_channel_under_another_header_join_that_channels_call() -> None:
    tracker = _tracker()
    tracker.apply(_channel("Newchannel", "4.1", "4.1", 0), T0)
    entry = tracker.apply({"Event": "LocalBridge", "LocalOneUniqueid": "4.1", "LocalTwoUniqueid": "4.2"}, T0)
    assert entry is not None and entry.call is not None and entry.call.linkedid == "4.1"
    assert tracker.apply({"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "INUSE"}, T0) is None
