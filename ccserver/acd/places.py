"""Where the calls the live ACD holds are on the switch, and the dialplan places it sends them to
(dialplans/acd.conf)."""

from __future__ import annotations

from dataclasses import dataclass

HOLD_CONTEXT = "ccserver-acd"
OFFER_CONTEXT = "ccserver-acd-offer"
CALLBACK_CONTEXT = "ccserver-acd-callback"
TRANSFER_CONTEXT = "ccserver-transfer"  # q-<queue> or an agent's extension
# rings the agent as CCSERVER_AGENT_DIAL says; /n: not optimized away, so this channel (its ChannelId) lasts
# as long as the agent is on the call
AGENT_CHANNEL = "Local/{ext}@ccserver-acd-agent/n"
NOT_ANSWERED = {"NOANSWER": "ring no answer", "BUSY": "agent busy", "CHANUNAVAIL": "agent unreachable",
                "CONGESTION": "agent unreachable"}
TRANSFERS = ("BlindTransfer", "AttendedTransfer")
CALLBACK_ORIGINATE_TIMEOUT_S = 90.0  # the dialplan's ring timeout ends the agent's ringing well before


@dataclass(slots=True)
class CallPlace:
    """Where a call the ACD holds is on its switch. `uniqueid`/`channel` name the caller's channel
    (None once a caller who asked for a callback has hung up); `agent_uniqueid` the channel ringing or
    connecting the agent of a callback."""

    call_id: str
    switch_id: str
    linkedid: str
    uniqueid: str | None
    channel: str | None
    caller_number: str
    callback_number: str | None = None
    caller_name: str = ""
    callback_offered: bool = False
    agent_id: str | None = None
    agent_uniqueid: str | None = None
    agent_switch_id: str | None = None  # the switch calling a callback's agent (another one if ours is down)
    lost_with_switch: bool = False  # made a callback because its switch went silent; the caller may be back
    queue: str = ""  # the queue it is in now
    answered_at: float | None = None
    state: str = "waiting"  # waiting | offered | connected | callback_pending


class AgentNotRouted(LookupError):
    """The ACD does not route this agent (unknown or inactive)."""
