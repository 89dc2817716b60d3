"""The live ACD: the routing engine wired to the switch, the journal and PostgreSQL.

ccserver decides, Asterisk holds the media (dialplans/acd.conf):
- a caller handed to the ACD reaches FastAGI `acd/enqueue`; the call joins the engine's queue and its
  caller holds to music in the dialplan;
- when the engine offers the call to an agent, the caller's channel is redirected (AMI) to
  [ccserver-acd-offer], which rings the agent; a callback request's turn originates the agent's phone
  into [ccserver-acd-callback], which then dials the customer;
- what the switch did comes back as AMI events on the bus: DialEnd (answered, or ring-no-answer back to
  the head of the queue), Hangup (abandon while waiting, or the end of the conversation, then wrap-up);
- agents and supervisors change states over REST (`request_state`).

Every engine outcome is carried out here in the same order: switch commands first (a ready agent's
phone rings without waiting for the database), then decisions, agent transitions and the held calls
go to the store, and `ccserver.Acd*` events to the journal.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ccserver.acd.agent_requests import events_for_request
from ccserver.acd.journal import AcdJournal
from ccserver.acd.places import (
    AGENT_CHANNEL,
    CALLBACK_CONTEXT,
    CALLBACK_ORIGINATE_TIMEOUT_S,
    HOLD_CONTEXT,
    NOT_ANSWERED,
    OFFER_CONTEXT,
    TRANSFERS,
    AgentNotRouted,
    CallPlace,
)
from ccserver.acd.store import AcdStore
from ccserver.asterisk.ami_link import AmiActionFailed
from ccserver.asterisk.gateway import SwitchGateway, SwitchUnavailable
from ccserver.crm.acd_rows import HeldCall
from ccserver.events.model import TrackedEvent
from ccserver.routing import (
    Announce,
    CallLeft,
    Escalated,
    OfferCall,
    OfferCallback,
    Outcome,
    Overflowed,
    Requeued,
    RoutingEngine,
    SendToVoicemail,
    WaitingCall,
)
from ccserver.routing.model import AgentStatus
from ccserver.tasks import TaskSet

log = logging.getLogger(__name__)

class LiveAcd:
    name = "acd"  # as a bus subscriber

    def __init__(
        self, *, engine: RoutingEngine, switches: SwitchGateway, store: AcdStore, journal: AcdJournal,
        clock: Callable[[], float], outbound_dial: str = "PJSIP/{number}@carrier",
    ) -> None:
        self.engine = engine
        self._outbound_dial = outbound_dial  # CCSERVER_OUTBOUND_DIAL: how a callback reaches the customer
        self._switches = switches
        self._store = store
        self._journal = journal
        self._clock = clock
        self._places: dict[str, CallPlace] = {}
        self._by_channel: dict[tuple[str, str], str] = {}  # (switch, uniqueid) -> call id
        self._parked: dict[str, WaitingCall] = {}  # callbacks waiting for a switch to be up
        self._tasks = TaskSet()  # AMI commands awaiting their replies
        self._wake = asyncio.Event()
        self.offers_sent = 0
        self.switch_errors = 0
        # Told what agents' desktops show: (kind, data) with kind state, offer, answered, ended or
        # withdrawn; data always names the agent (agent_id) and, but for state, the call (call_id).
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []

    # ---- calls, from FastAGI -------------------------------------------------------------------

    def enqueue(self, place: CallPlace, call: WaitingCall) -> None:
        """A caller joins a queue. A call an agent is talking to was transferred to a queue: that
        conversation ends (wrap-up) and the call queues again."""
        now = self._clock()
        assignment = self.engine.assignment(call.call_id)
        if assignment is not None:
            self._journal_call("Transferred", call.call_id, from_agent=assignment.agent_id, to_queue=call.queue)
            self._end(call.call_id, self.engine.call_left(call.call_id, now, "transferred"))
        elif self.engine.is_waiting(call.call_id):
            self._apply(self.engine.call_left(call.call_id, now, "queued again"))
        self._admit(place, call, ("Queued", _queued(call)))

    def restore(self, place: CallPlace, call: WaitingCall) -> None:
        """A call a previous ccserver held (acd_waiting), at its old place: still holding on the switch
        (`place.channel`) or a callback request."""
        self._admit(place, call, ("Restored", {"queue": call.queue, "callback": call.callback}))

    def callback_from_ivr(self, place: CallPlace, call: WaitingCall) -> None:
        """The IVR took a callback request (e.g. after hours): it waits in its queue like any callback."""
        if self._places.get(call.call_id) is not None or not place.callback_number:
            return
        place.state = "callback_pending"
        call = replace(call, callback=True)
        self._admit(place, call, ("Queued", _queued(call)),
                    ("CallbackRequested", {"queue": call.queue, "number": place.callback_number, "reason": "ivr"}))

    def _admit(self, place: CallPlace, call: WaitingCall, *journal: tuple[str, dict[str, Any]]) -> None:
        place.queue = call.queue
        self._places[call.call_id] = place
        if place.uniqueid:
            self._by_channel[(place.switch_id, place.uniqueid)] = call.call_id
        for kind, detail in journal:
            self._journal_call(kind, call.call_id, **detail)
        outcome = self.engine.call_arrived(call, self._clock())
        self._remember(call.call_id)
        self._apply(outcome)

    def place_of(self, call_id: str) -> CallPlace | None:
        return self._places.get(call_id)

    def standing(self, call_id: str) -> tuple[int, float | None] | None:
        """(position in its queue, estimated wait in seconds) of a waiting call; None if it is not waiting."""
        if not self.engine.is_waiting(call_id):
            return None
        return self.engine.position(call_id), self.engine.estimated_wait_s(call_id)

    def note(self, call_id: str, kind: str, **detail: Any) -> None:
        """Put something that happened to a call the ACD holds on its record (e.g. a supervisor listening)."""
        self._journal_call(kind, call_id, **detail)

    def announced(self, call_id: str, position: int, wait_s: float | None) -> None:
        self._journal_call("Announced", call_id, position=position, wait_s=wait_s)

    def request_callback(self, call_id: str, number: str) -> bool:
        """The caller pressed the callback key: the call keeps its place as a callback request to `number`."""
        place = self._places.get(call_id)
        if place is None or not self.engine.is_waiting(call_id) or not number:
            return False
        self.engine.callback_requested(call_id, self._clock())
        place.callback_number = number
        place.state = "callback_pending"
        self._journal_call("CallbackRequested", call_id, number=number)
        self._remember(call_id)
        return True

    # ---- agents, from REST ---------------------------------------------------------------------

    async def request_state(
        self, agent_id: str, state: str, reason: str | None, source: str, *, extend_s: float | None = None
    ) -> AgentStatus:
        """ready / not_ready (reason) / logged_out, or wrap_up with `extend_s`, as an agent or supervisor
        asks. Raises AgentNotRouted, or IllegalTransition for what the agent's state does not allow."""
        if agent_id not in self.engine.agents:
            raise AgentNotRouted(agent_id)
        now = self._clock()
        for event in events_for_request(self.engine.status(agent_id), state, reason, extend_s):
            self._apply(self.engine.agent_changed(agent_id, event, now), source=source)  # each kept as it happens
        await self._store.flush()
        return self.engine.status(agent_id)

    # ---- the switch's events, from the bus -----------------------------------------------------

    def offer(self, entry: TrackedEvent) -> None:
        if entry.name in TRANSFERS:
            self._transferred(entry)
            return
        if entry.name not in ("DialEnd", "Hangup", "ccserver.LegGone"):
            return
        uniqueid = entry.headers.get("Uniqueid")
        call_id = self._by_channel.get((entry.switch_id, str(uniqueid)))
        if call_id is None:
            return
        now = self._clock()
        if entry.name == "DialEnd":
            self._dial_ended(call_id, str(entry.headers.get("DialStatus", "")), now)
        elif entry.name == "Hangup":
            self._hung_up(call_id, entry.switch_id, str(uniqueid), now)
        else:
            self._channel_lost(call_id, entry.switch_id, str(uniqueid), now)

    def _transferred(self, entry: TrackedEvent) -> None:
        """The agent transferred the caller (blind or attended): the agent's part is over (wrap-up).
        A transfer to a queue brings the caller back through `acd/enqueue` ([ccserver-transfer])."""
        headers = entry.headers
        call_id = self._by_channel.get((entry.switch_id, str(headers.get("TransfereeUniqueid"))))
        place = None if call_id is None else self._places.get(call_id)
        if call_id is None or place is None or place.state != "connected" or headers.get("Result") != "Success":
            return
        if entry.name == "BlindTransfer":
            target = f"{headers.get('Extension', '')}@{headers.get('Context', '')}"
        else:
            target = str(headers.get("TransferTargetChannel") or headers.get("DestApp") or "")
        self._journal_call("Transferred", call_id, how=entry.name.removesuffix("Transfer").lower(),
                           from_agent=place.agent_id, to=target)
        self._end(call_id, self.engine.call_ended(call_id, self._clock()))

    def _dial_ended(self, call_id: str, status: str, now: float) -> None:
        place = self._places.get(call_id)
        if place is None or place.state != "offered" or place.agent_uniqueid is not None:
            return
        if status == "ANSWER":
            self._answered(call_id, now)
        elif status in NOT_ANSWERED:
            self._apply(self.engine.offer_failed(call_id, now, NOT_ANSWERED[status]))
        # CANCEL: the caller hung up while it rang; their Hangup follows

    def _answered(self, call_id: str, now: float) -> None:
        place = self._places[call_id]
        assignment = self.engine.assignment(call_id)
        self._apply(self.engine.offer_answered(call_id, now))
        place.state, place.answered_at = "connected", now
        self._tell("answered", {"agent_id": place.agent_id, "call_id": call_id, "at": now})
        waited = None if assignment is None else now - assignment.call.enqueued_at
        queue = None if assignment is None else assignment.call.queue
        self._journal_call("Answered", call_id, agent_id=place.agent_id, queue=queue, waited_s=waited)
        self._remember(call_id)

    def _hung_up(self, call_id: str, switch_id: str, uniqueid: str, now: float) -> None:
        place = self._places.get(call_id)
        del self._by_channel[(switch_id, uniqueid)]
        if place is None:
            return
        if uniqueid == place.agent_uniqueid:  # the agent's side of a callback
            if place.state == "connected":
                self._end(call_id, self.engine.call_ended(call_id, now))
            return  # still ringing: the Originate's reply says how it went
        if uniqueid == place.uniqueid:
            place.uniqueid = place.channel = None
        if place.state == "callback_pending" or place.agent_uniqueid is not None:
            return  # the caller hung up after asking for the callback: the request keeps its place
        self._end(call_id, self.engine.call_left(call_id, now, "abandoned"))

    def _channel_lost(self, call_id: str, switch_id: str, uniqueid: str, now: float) -> None:
        """The caller's channel vanished with no hangup: its switch restarted or died. A caller who was
        waiting (or being offered) did not choose to leave: they are called back, at their old place."""
        place = self._places.get(call_id)
        if place is None or uniqueid != place.uniqueid or place.state not in ("waiting", "offered"):
            self._hung_up(call_id, switch_id, uniqueid, now)
            return
        del self._by_channel[(switch_id, uniqueid)]
        place.uniqueid = place.channel = None
        self._call_back_instead(call_id, place, "switch lost", now)

    def switch_lost(self, switch_id: str) -> int:
        """`switch_id` has been silent too long (AMI down): its waiting callers are called back, at their
        place, through a switch that is up. A caller it still holds when it comes back is taken back
        as a waiting caller at its next announcement (`caller_back`). How many callers it held."""
        now, lost = self._clock(), 0
        for call_id, place in list(self._places.items()):
            if place.switch_id == switch_id and place.channel and place.state in ("waiting", "offered"):
                place.lost_with_switch = True
                self._call_back_instead(call_id, place, "switch unreachable", now)
                lost += 1
        return lost

    def _call_back_instead(self, call_id: str, place: CallPlace, reason: str, now: float) -> None:
        call = self.engine.call(call_id)
        if call is None:
            return
        self._apply(self.engine.call_left(call_id, now, reason))
        if not place.caller_number:  # nobody to call back
            self._forget(call_id)
            return
        place.callback_number, place.state, place.agent_id = place.caller_number, "callback_pending", None
        self._journal_call("CallbackRequested", call_id, number=place.callback_number, reason=reason)
        outcome = self.engine.call_arrived(replace(call, callback=True), now)
        self._remember(call_id)
        self._apply(outcome)

    def caller_back(self, call_id: str, uniqueid: str, channel: str) -> bool:
        """A caller made a callback when their switch went silent is still holding on it: they wait
        as a caller again, at the same place. False when the callback is already under way."""
        place, call = self._places.get(call_id), self.engine.call(call_id)
        if place is None or call is None or not place.lost_with_switch or place.state != "callback_pending":
            return False
        if not self._switches.is_ready(place.switch_id):
            return False  # ccserver still cannot command that switch: the callback stands
        now = self._clock()
        self._apply(self.engine.call_left(call_id, now, "caller back"))
        place.lost_with_switch, place.state, place.callback_number = False, "waiting", None
        place.uniqueid, place.channel = uniqueid, channel
        self._by_channel[(place.switch_id, uniqueid)] = call_id
        self._journal_call("CallerBack", call_id)
        outcome = self.engine.call_arrived(replace(call, callback=False), now)
        self._remember(call_id)
        self._apply(outcome)
        return True

    def _end(self, call_id: str, outcome: Outcome) -> None:
        ended = [t for t in outcome.transitions if t.call_id == call_id and t.from_state == "on_call"]
        place = self._places.get(call_id)
        if ended and place is not None:
            talk = None if place.answered_at is None else ended[0].at - place.answered_at
            self._journal_call("Ended", call_id, agent_id=ended[0].agent_id, queue=place.queue, talk_s=talk)
            self._tell("ended", {"agent_id": ended[0].agent_id, "call_id": call_id, "queue": place.queue,
                                 "talk_s": talk})
        elif place is not None and place.state == "offered" and place.agent_id:
            self._tell("withdrawn", {"agent_id": place.agent_id, "call_id": call_id, "reason": "the caller hung up"})
        self._apply(outcome)
        self._forget(call_id)

    # ---- carrying out an outcome ---------------------------------------------------------------

    def apply_outcome(self, outcome: Outcome, *, source: str = "system") -> None:
        """Carry out what the engine decided outside a call event (configuration changes)."""
        self._apply(outcome, source=source)

    def _apply(self, outcome: Outcome, *, source: str = "system") -> None:
        for action in outcome.actions:
            self._act(action)
        self._store.decisions(outcome.decisions, self._switch_of)
        self._store.transitions(outcome.transitions, source)
        for change in outcome.transitions:
            status = self.engine.status(change.agent_id)
            self._tell("state", {
                "agent_id": change.agent_id, "state": change.to_state, "reason": change.reason, "since": change.at,
                "call_id": change.call_id, "pending": status.pending, "wrapup_until": status.wrapup_until,
            })
        self._wake.set()

    def _tell(self, kind: str, data: dict[str, Any]) -> None:
        for listener in self.listeners:
            try:
                listener(kind, data)
            except Exception:  # a desktop's trouble must not stop the ACD
                log.exception("ACD: listener failed on %s", kind)

    def _act(self, action: Any) -> None:
        match action:
            case OfferCall():
                self._offer(action)
            case Requeued(call_id=call_id, agent_id=agent_id, reason=reason):
                self._tell("withdrawn", {"agent_id": agent_id, "call_id": call_id, "reason": reason})
                place = self._places.get(call_id)
                if place is not None:
                    place.state = "callback_pending" if place.callback_number else "waiting"
                    place.agent_id = place.agent_uniqueid = place.agent_switch_id = None
                self._journal_call("Requeued", call_id, agent_id=agent_id, reason=reason)
                self._remember(call_id)
            case Escalated(call_id=call_id, step=step, description=description):
                self._journal_call("Escalated", call_id, step=step, description=description)
                self._remember(call_id)
            case Overflowed(call_id=call_id, from_queue=source, to_queue=target, reason=reason):
                if call_id in self._places:
                    self._places[call_id].queue = target
                self._journal_call("Overflowed", call_id, from_queue=source, to_queue=target, reason=reason)
                self._remember(call_id)
            case OfferCallback(call_id=call_id):
                place = self._places.get(call_id)
                if place is not None and place.channel and not place.callback_offered:
                    place.callback_offered = True  # the next announcement (now) offers it
                    self._redirect(call_id, place, HOLD_CONTEXT, "t")
            case SendToVoicemail(call_id=call_id, reason=reason):
                place = self._places.get(call_id)
                self._journal_call("Voicemail", call_id, reason=reason)
                if place is not None and place.channel:
                    self._redirect(call_id, place, HOLD_CONTEXT, "voicemail")
                self._forget(call_id)
            case CallLeft(call_id=call_id, queue=queue, waited_s=waited, reason=reason):
                self._journal_call("Left", call_id, queue=queue, waited_s=waited, reason=reason)
            case Announce():
                pass  # the dialplan times announcements (CCSERVER_ANNOUNCE_EVERY); `acd/announce` speaks them

    def _offer(self, offer: OfferCall) -> None:
        place = self._places.get(offer.call_id)
        if place is None:  # cannot happen: every call the engine holds has a place
            log.error("ACD: offer of unknown call %s", offer.call_id)
            return
        calling_back = place.callback_number is not None and place.channel is None
        switch_id = place.switch_id if self._switches.is_ready(place.switch_id) else next(
            iter(self._switches.ready_switch_ids()), None)
        if calling_back and switch_id is None:
            self._park(offer.call_id)
            return
        place.state, place.agent_id = "offered", offer.agent_id
        self.offers_sent += 1
        self._journal_call("Offered", offer.call_id, agent_id=offer.agent_id, extension=offer.extension,
                           queue=offer.queue, callback=offer.callback)
        self._remember(offer.call_id)
        call = self.engine.call(offer.call_id)
        self._tell("offer", {
            "agent_id": offer.agent_id, "call_id": offer.call_id, "queue": offer.queue, "callback": offer.callback,
            "switch_id": place.switch_id, "linkedid": place.linkedid, "caller_number": place.caller_number,
            "caller_name": place.caller_name, "callback_number": place.callback_number,
            "enqueued_at": None if call is None else call.enqueued_at,
            "language": None if call is None else call.language,
        })
        if calling_back and switch_id is not None:
            place.agent_uniqueid = f"ccserver-cb-{uuid.uuid4().hex[:20]}"
            place.agent_switch_id = switch_id
            self._by_channel[(place.agent_switch_id, place.agent_uniqueid)] = offer.call_id
            self._tasks.spawn(self._call_back(offer, place, place.agent_switch_id, place.agent_uniqueid))
        else:
            self._redirect(offer.call_id, place, OFFER_CONTEXT, offer.extension)

    def _park(self, call_id: str) -> None:
        """No switch is up to make a callback: the request leaves the engine (the agent keeps their place)
        and waits, with its place, for `switches_back`."""
        call = self.engine.call(call_id)
        self._apply(self.engine.call_left(call_id, self._clock(), "no switch up"))
        if call is not None:
            self._parked[call_id] = call

    def switches_back(self) -> None:
        """A switch is up again: parked callback requests queue again, at their places."""
        parked, self._parked = self._parked, {}
        now = self._clock()
        for call_id, call in parked.items():
            if call_id in self._places:
                self._apply(self.engine.call_arrived(call, now))

    def _redirect(self, call_id: str, place: CallPlace, context: str, exten: str) -> None:
        channel = place.channel
        if channel is None:
            return
        self._tasks.spawn(self._send_redirect(call_id, place.switch_id, channel, context, exten))

    async def _send_redirect(self, call_id: str, switch_id: str, channel: str, context: str, exten: str) -> None:
        try:
            await self._switches.redirect(switch_id, channel, context, exten)
        except AmiActionFailed as exc:  # the channel is gone: its Hangup event ends the call here
            log.info("ACD: redirect of %s to %s,%s refused: %s", channel, context, exten, exc)
        except SwitchUnavailable as exc:
            self.switch_errors += 1
            log.warning("ACD: cannot reach switch %s to redirect %s: %s", switch_id, channel, exc)
            place = self._places.get(call_id)
            if context == OFFER_CONTEXT and self._ringing(call_id) and place is not None:
                # not the agent's fault: they keep their place; the caller is called back (or taken
                # back at their next announcement if the switch returns first)
                place.lost_with_switch = True
                self._call_back_instead(call_id, place, "switch unreachable", self._clock())

    async def _call_back(self, offer: OfferCall, place: CallPlace, switch_id: str, agent_uniqueid: str) -> None:
        fields = {
            "Channel": AGENT_CHANNEL.format(ext=offer.extension), "Context": CALLBACK_CONTEXT,
            "Exten": place.callback_number or "", "Priority": "1", "ChannelId": agent_uniqueid,
            "CallerID": f'"Callback {offer.queue}" <{place.callback_number}>',
            "Timeout": str(int(CALLBACK_ORIGINATE_TIMEOUT_S * 1000)),
            "Variable": f"CCSERVER_ACD_CALL={offer.call_id},"
                        f"CCSERVER_OUTBOUND={self._outbound_dial.replace('{number}', place.callback_number or '')}",
        }
        try:
            reply = await self._switches.originate(switch_id, fields, timeout=CALLBACK_ORIGINATE_TIMEOUT_S + 5)
        except (SwitchUnavailable, AmiActionFailed) as exc:
            self.switch_errors += 1
            reply = {"Response": "Failure", "Reason": str(exc)}
        if not self._ringing(offer.call_id):
            return
        if reply.get("Response") == "Success":
            self._answered(offer.call_id, self._clock())
        else:
            self._by_channel.pop((switch_id, agent_uniqueid), None)
            self._apply(self.engine.offer_failed(offer.call_id, self._clock(), "callback: the agent did not answer"))

    def _ringing(self, call_id: str) -> bool:
        assignment = self.engine.assignment(call_id)
        return assignment is not None and assignment.answered_at is None

    # ---- records -------------------------------------------------------------------------------

    def _remember(self, call_id: str) -> None:
        """The held call's row follows the engine's view of it."""
        place, call = self._places.get(call_id), self.engine.call(call_id)
        if place is None or call is None:
            return
        self._store.put(HeldCall(
            call_id=call_id, switch_id=place.switch_id, uniqueid=place.uniqueid, channel=place.channel,
            queue=call.queue, priority=call.priority, skills=dict(call.skills), language=call.language,
            enqueued_at=call.enqueued_at, queue_entered_at=call.queue_entered_at, step=call.step,
            callback=call.callback, callback_number=place.callback_number or place.caller_number or None,
            state=place.state,
            agent_id=place.agent_id,
        ))

    def _forget(self, call_id: str) -> None:
        place = self._places.pop(call_id, None)
        if place is not None:
            if place.uniqueid:
                self._by_channel.pop((place.switch_id, place.uniqueid), None)
            if place.agent_uniqueid:
                self._by_channel.pop((place.agent_switch_id or place.switch_id, place.agent_uniqueid), None)
            self._store.drop(call_id)

    def _journal_call(self, kind: str, call_id: str, **detail: Any) -> None:
        place = self._places.get(call_id)
        if place is not None:
            self._journal.publish(kind, switch_id=place.switch_id, linkedid=place.linkedid, uniqueid=place.uniqueid,
                                  **detail)

    def _switch_of(self, call_id: str) -> str | None:
        place = self._places.get(call_id)
        return None if place is None else place.switch_id

    # ---- timers --------------------------------------------------------------------------------

    async def run_timers(self) -> None:
        """Wrap-ups that end, escalation steps and max waits, when they are due (supervised task)."""
        while True:
            due = self.engine.next_due()
            delay = 1.0 if due is None else min(max(due - self._clock(), 0.0), 1.0)
            try:
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            due = self.engine.next_due()
            if due is not None and due <= self._clock():
                outcome = self.engine.tick(self._clock())
                for left in [a for a in outcome.actions if isinstance(a, CallLeft)]:
                    self._forget(left.call_id)
                self._apply(outcome)

    async def close(self) -> None:
        await self._tasks.close()


def _queued(call: WaitingCall) -> dict[str, Any]:
    return {"queue": call.queue, "priority": call.priority, "skills": dict(call.skills), "language": call.language,
            "callback": call.callback or None}
