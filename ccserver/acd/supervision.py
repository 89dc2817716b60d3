"""Agents' live calls from outside the phone: supervisors listen, whisper (to the agent only) or barge (to
both) through Asterisk's ChanSpy on their own phone, every such action on the call's record; and the
agent's desktop transfers the call to a queue or another agent (a blind transfer by the agent's side).

The agent's side of the call is the channel bridged with the caller's (the call tracker knows both);
the supervisor's phone is rung as an agent's is ([ccserver-acd-agent], CCSERVER_AGENT_DIAL) and, once
answered, spies on that channel until it hangs up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ccserver.acd.live import LiveAcd
from ccserver.acd.places import AGENT_CHANNEL, CallPlace
from ccserver.events.tracker import CallTracker

Mode = Literal["listen", "whisper", "barge"]
MODES: tuple[Mode, ...] = ("listen", "whisper", "barge")
# q: no beep or name announcement; E: stop when the spied channel hangs up; w: whisper; B: barge
CHANSPY_OPTIONS: dict[Mode, str] = {"listen": "qE", "whisper": "qEw", "barge": "qEB"}
RING_S = 30


class NotOnACall(LookupError):
    """The agent has no connected call the ACD knows, or its channel is not found on the switch."""


@dataclass(frozen=True, slots=True)
class MonitorPlan:
    """What to originate: the supervisor's phone, then ChanSpy on the agent's side of the call."""

    call_id: str
    switch_id: str
    linkedid: str
    agent_channel: str
    fields: dict[str, str]


def agent_side(live: LiveAcd, trackers: dict[str, CallTracker], agent_id: str) -> tuple[str, CallPlace, str]:
    """(call id, where the call is, the agent's channel) of the agent's connected call. Raises KeyError for
    an agent the ACD does not route, NotOnACall when there is none or its channels are not known."""
    status = live.engine.status(agent_id)
    if not status.connected:
        raise NotOnACall(f"the agent is {status.state}, not on a call")
    call_id = status.connected[0]
    place = live.place_of(call_id)
    tracker = None if place is None else trackers.get(place.switch_id)
    if place is None or tracker is None or place.uniqueid is None:
        raise NotOnACall("the call's caller channel is not known")
    agent_channel = _bridged_with(tracker, place.uniqueid)
    if agent_channel is None:
        raise NotOnACall("the agent's side of the call is not in a bridge with the caller")
    return call_id, place, agent_channel


def transfer_exten(*, queue: str | None, extension: str | None) -> str:
    """Where in [ccserver-transfer] a transfer goes: `q-<queue>` or the agent's extension."""
    return f"q-{queue}" if queue else str(extension)


def plan_monitor(
    live: LiveAcd, trackers: dict[str, CallTracker], agent_id: str, mode: Mode, supervisor_extension: str,
) -> MonitorPlan:
    """Raises KeyError for an agent the ACD does not route, NotOnACall when there is nothing to spy on."""
    call_id, place, agent_channel = agent_side(live, trackers, agent_id)
    fields = {
        "Channel": AGENT_CHANNEL.format(ext=supervisor_extension), "Application": "ChanSpy",
        "Data": f"{agent_channel},{CHANSPY_OPTIONS[mode]}", "Timeout": str(RING_S * 1000),
        "CallerID": f'"{mode.title()} {live.engine.agents[agent_id].name}" <{live.engine.agents[agent_id].extension}>',
    }
    return MonitorPlan(call_id, place.switch_id, place.linkedid, agent_channel, fields)


def _bridged_with(tracker: CallTracker, uniqueid: str) -> str | None:
    leg = tracker.legs.get(uniqueid)
    if leg is None or leg.bridge_id is None:
        return None
    for other in tracker.legs.values():
        if other.bridge_id == leg.bridge_id and other.uniqueid != uniqueid:
            return other.channel
    return None
