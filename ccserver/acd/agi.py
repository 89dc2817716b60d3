"""FastAGI paths of the ACD (dialplans/acd.conf): `acd/enqueue`, `acd/announce`, `acd/callback`.

Each is a short session: the caller holds to music in the dialplan between them, so a ccserver that
restarts loses no caller. A caller whose call this ccserver does not know (it restarted) is queued again
at its next announcement, from its channel's variables, at its original place (CCSERVER_ACD_ENQUEUED_AT).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

from ccserver.acd.live import LiveAcd
from ccserver.acd.places import CallPlace
from ccserver.asterisk.agi_session import AgiSession
from ccserver.events.model import IvrSession, call_key
from ccserver.ivr.commands import RoutingAttributes
from ccserver.routing import WaitingCall

log = logging.getLogger(__name__)

PROMPTS = "ccserver"  # sounds/<language>/ccserver/<name> on the switch
CALLBACK_KEY = "1"
MAX_PRIORITY = 100


def parse_skills(text: str) -> dict[str, int]:
    """`billing:5,lang:es:1` -> {"billing": 5, "lang:es": 1}; malformed items are left out (and logged)."""
    skills: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, level = item.rpartition(":")
        if name and level.isdigit() and 1 <= int(level) <= 10:
            skills[name] = int(level)
        else:
            log.warning("ACD: skill requirement %r ignored (want name:level, level 1-10)", item)
    return skills


def _priority(text: str) -> int:
    try:
        return max(0, min(MAX_PRIORITY, int(text)))
    except ValueError:
        return 0


class AcdAgi:
    def __init__(
        self, acd: LiveAcd, *, switch_ids: list[str], normalise_phone: Callable[[str], str | None],
        clock: Callable[[], float],
    ) -> None:
        self._acd = acd
        self._switch_ids = switch_ids
        self._normalise_phone = normalise_phone
        self._clock = clock

    async def handle(self, agi: AgiSession) -> None:
        action = agi.path.removeprefix("acd/")
        if action == "enqueue":
            await self._enqueue(agi, _variables_from_params(agi))
        elif action == "announce":
            await self._announce(agi)
        elif action == "callback":
            await self._callback(agi)
        else:
            log.warning("ACD: unknown FastAGI path %r", agi.path)

    def _call_id(self, agi: AgiSession) -> tuple[str, str, str]:
        switch_id = agi.params.get("switch") or (self._switch_ids[0] if len(self._switch_ids) == 1 else "unknown")
        linkedid = agi.params.get("linkedid") or agi.uniqueid
        return str(call_key(switch_id, linkedid)), switch_id, linkedid

    async def _enqueue(self, agi: AgiSession, variables: dict[str, str], enqueued_at: float | None = None) -> bool:
        call_id, switch_id, linkedid = self._call_id(agi)
        queue = self._acd.engine.queues.get(variables.get("queue", ""))
        if queue is None:
            log.warning("ACD: call %s handed to unknown queue %r: fallback", linkedid, variables.get("queue"))
            await agi.set_variable("CCSERVER_QUEUED", "0")
            return False
        enqueued_at = self._clock() if enqueued_at is None else enqueued_at
        # Said before the call is queued: an agent may be rung (the channel redirected) at once.
        await agi.set_variable("CCSERVER_ANNOUNCE_EVERY", str(math.ceil(queue.announce_every_s or 60)))
        await agi.set_variable("CCSERVER_ACD_ENQUEUED_AT", f"{enqueued_at:.3f}")
        await agi.set_variable("CCSERVER_QUEUED", "1")
        language = variables.get("language") or None
        place = CallPlace(
            call_id=call_id, switch_id=switch_id, linkedid=linkedid, uniqueid=agi.uniqueid, channel=agi.channel,
            caller_number=self._callback_number(agi) or "", caller_name=agi.caller_name,
        )
        call = WaitingCall(
            call_id=call_id, queue=queue.name, enqueued_at=enqueued_at,
            priority=_priority(variables.get("priority", "")), skills=parse_skills(variables.get("skills", "")),
            language=language,
        )
        self._acd.enqueue(place, call)
        return True

    async def _announce(self, agi: AgiSession) -> None:
        call_id, _, linkedid = self._call_id(agi)
        place = self._acd.place_of(call_id)
        if place is None and not await self._queue_again(agi):
            await agi.set_variable("CCSERVER_ACD_LEFT", "1")
            return
        if place is not None and place.lost_with_switch:
            self._acd.caller_back(call_id, agi.uniqueid, agi.channel)
        standing = self._acd.standing(call_id)
        if standing is None:
            return  # being offered or connected: the redirect is on its way
        position, wait_s = standing
        queue = self._acd.engine.queues[self._acd.engine.call(call_id).queue]  # type: ignore[union-attr]
        self._acd.announced(call_id, position, wait_s)
        pressed = ""
        if queue.announce_position:
            pressed = pressed or await agi.stream_file(f"{PROMPTS}/queue_position", CALLBACK_KEY)
            pressed = pressed or await agi.say_number(position, CALLBACK_KEY)
        if queue.announce_wait and wait_s is not None:
            pressed = pressed or await agi.stream_file(f"{PROMPTS}/queue_wait", CALLBACK_KEY)
            pressed = pressed or await agi.say_number(max(1, round(wait_s / 60)), CALLBACK_KEY)
            pressed = pressed or await agi.stream_file(f"{PROMPTS}/minutes", CALLBACK_KEY)
        if self._callback_number(agi):
            pressed = pressed or await agi.stream_file(f"{PROMPTS}/queue_callback_offer", CALLBACK_KEY)
        if pressed == CALLBACK_KEY:
            await self._callback(agi)

    async def _callback(self, agi: AgiSession) -> None:
        call_id, _, _ = self._call_id(agi)
        number = self._callback_number(agi)
        if number is None or not self._acd.request_callback(call_id, number):
            return  # nothing to call back (no caller id) or no longer waiting: back to hold
        await agi.set_variable("CCSERVER_CALLBACK", "1")
        await agi.stream_file(f"{PROMPTS}/callback_confirmed", "")

    def ivr_callback(self, session: IvrSession, routing: RoutingAttributes) -> None:
        """The IVR took a callback request (its `callback` node): it waits in its queue for an agent."""
        queue = self._acd.engine.queues.get(routing.queue or "")
        if queue is None or not session.callback_number:
            log.warning("ACD: IVR callback for %s not queued (queue %r)", session.linkedid, routing.queue)
            return
        call_id = str(session.call_id)
        place = CallPlace(
            call_id=call_id, switch_id=session.switch_id, linkedid=session.linkedid, uniqueid=None, channel=None,
            caller_number=session.callback_number, callback_number=session.callback_number,
        )
        self._acd.callback_from_ivr(place, WaitingCall(
            call_id=call_id, queue=queue.name, enqueued_at=self._clock(), priority=_priority(str(routing.priority)),
            skills=dict(routing.skills), language=routing.language, callback=True,
        ))

    def _callback_number(self, agi: AgiSession) -> str | None:
        caller = agi.caller_id.strip()
        if not caller:
            return None
        return self._normalise_phone(caller) or caller

    async def _queue_again(self, agi: AgiSession) -> bool:
        """A holding caller this ccserver does not know (it restarted): queue it again, at its old place."""
        variables = {
            "queue": await agi.get_variable("CCSERVER_QUEUE") or "",
            "skills": await agi.get_variable("CCSERVER_SKILLS") or "",
            "priority": await agi.get_variable("CCSERVER_PRIORITY") or "",
            "language": await agi.get_variable("CCSERVER_ROUTE_LANGUAGE") or "",
        }
        since = await agi.get_variable("CCSERVER_ACD_ENQUEUED_AT")
        try:
            enqueued_at = float(since) if since else None
        except ValueError:
            enqueued_at = None
        log.info("ACD: caller %s holding in queue %s is queued again", agi.uniqueid, variables["queue"])
        return await self._enqueue(agi, variables, enqueued_at)


def _variables_from_params(agi: AgiSession) -> dict[str, str]:
    return {name: agi.params.get(name, "") for name in ("queue", "skills", "priority", "language")}
