"""Runs IVR flows on FastAGI sessions: the one place where the engine's commands become AGI.

The engine decides (pure); this adapter plays, collects, dips into the CRM, records, and tells the
dialplan the outcome through channel variables. It never decides a route itself. Whatever goes wrong
— caller hangs up, Asterisk refuses a command, the database is away — the call's journal holds every
step taken, and a call the flow did not route leaves CCSERVER_ROUTED unset so the dialplan's fallback
reaches a human.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from ccserver.asterisk.agi_session import AgiCommandError, AgiHangup, AgiSession
from ccserver.events.model import IvrSession
from ccserver.ivr import engine
from ccserver.ivr.commands import (
    CollectDigits,
    Command,
    Digits,
    Finish,
    LookupCustomer,
    LookupResult,
    Play,
    Played,
    Recorded,
    RecordMessage,
    Result,
    RoutingAttributes,
    Say,
)
from ccserver.ivr.flow_registry import FlowRegistry
from ccserver.ivr.recorder import IvrRecorder

log = logging.getLogger(__name__)

ALL_KEYS = "0123456789*#"
PROMPT_DIR = "ccserver"  # prompts live at sounds/<language>/ccserver/<name> on the switch
INTER_DIGIT_TIMEOUT = 4.0

CustomerLookup = Callable[[str, str], Awaitable[dict[str, Any] | None]]  # (by, value) -> customer


def skills_text(skills: dict[str, int]) -> str:
    """Routing skills as one channel variable: `billing:5,spanish:3`."""
    return ",".join(f"{name}:{level}" for name, level in sorted(skills.items()))


def routing_variables(routing: RoutingAttributes) -> dict[str, str]:
    return {
        "CCSERVER_QUEUE": routing.queue or "",
        "CCSERVER_SKILLS": skills_text(routing.skills),
        "CCSERVER_PRIORITY": str(routing.priority),
        "CCSERVER_ROUTE_LANGUAGE": routing.language or "",
    }


# Takes a callback the flow decided on (the ACD queues it): the session (switch, linkedid, number) and routing.
CallbackTaker = Callable[[IvrSession, RoutingAttributes], None]


class IvrRunner:
    def __init__(
        self,
        *,
        flows: FlowRegistry,
        recorder: IvrRecorder,
        lookup: CustomerLookup,
        switch_ids: list[str],
        normalise_phone: Callable[[str], str | None],
        clock: Callable[[], datetime],
        messages_dir: str,
        lookup_timeout: float = 2.0,
        callbacks: CallbackTaker | None = None,
    ) -> None:
        self._flows = flows
        self._callbacks = callbacks
        self._recorder = recorder
        self._lookup = lookup
        self._switch_ids = switch_ids
        self._normalise_phone = normalise_phone
        self._clock = clock
        self._messages_dir = PurePosixPath(messages_dir)
        self._lookup_timeout = lookup_timeout

    def _switch_of(self, agi: AgiSession) -> str:
        named = agi.params.get("switch", "")
        if named:
            return named
        return self._switch_ids[0] if len(self._switch_ids) == 1 else "unknown"

    async def handle(self, agi: AgiSession) -> None:
        flow_name = agi.path or "inbound"
        flows = self._flows.snapshot()  # this call stays on these versions, whatever reloads meanwhile
        caller = agi.caller_id or ""
        call = engine.CallInfo(
            caller_number=caller, caller_e164=self._normalise_phone(caller) if caller else None,
            dialed_number=agi.dnid or agi.extension or "",
        )
        step = engine.start(flows, flow_name, call, self._clock())
        session = self._recorder.open(
            switch_id=self._switch_of(agi), uniqueid=agi.uniqueid, linkedid=agi.params.get("linkedid") or agi.uniqueid,
            flow=flow_name, flow_version=flows.version_of(flow_name), language=step.state.language,
        )
        outcome, reason = "abandoned", "caller hung up in the IVR"
        try:
            await agi.answer()
            language = await self._set_language(agi, None, step.state.language)
            while True:
                self._recorder.record(session, step.events)
                command = step.command
                if isinstance(command, Finish):
                    outcome, reason = command.outcome, command.reason  # decided, even if the caller leaves now
                    await self._finish(agi, command, session_caller=call.caller_e164 or caller, session=session)
                    break
                language = await self._set_language(agi, language, getattr(command, "language", language))
                result = await self._execute(agi, command, session)
                step = engine.advance(flows, step.state, result, self._clock())
        except AgiHangup:
            pass
        except asyncio.CancelledError:
            outcome, reason = "interrupted", "ccserver stopped mid-flow: the dialplan fallback takes the call"
            raise
        except AgiCommandError as exc:
            # The switch refused a command: leave the call to the dialplan's fallback (a human).
            log.warning("IVR %s on %s: the switch refused a command: %s", flow_name, agi.uniqueid, exc)
            self._recorder.note(session, "IvrError", {"Error": str(exc)})
            outcome, reason = "fallback", f"switch refused a command: {exc}"
        finally:
            self._recorder.close(session, outcome=outcome, reason=reason)

    async def _set_language(self, agi: AgiSession, current: str | None, wanted: str | None) -> str | None:
        if wanted and wanted != current:
            await agi.set_variable("CHANNEL(language)", wanted)
            return wanted
        return current

    async def _execute(self, agi: AgiSession, command: Command, session: IvrSession) -> Result:
        # Announcements are interruptible: a caller who knows the menu keys ahead (the engine takes the key).
        if isinstance(command, Play):
            for prompt in command.prompts:
                digit = await agi.stream_file(f"{PROMPT_DIR}/{prompt}", ALL_KEYS)
                if digit:
                    return Played(digit)
            return Played()
        if isinstance(command, CollectDigits):
            return await self._collect(agi, command)
        if isinstance(command, Say):
            if command.kind == "digits":
                return Played(await agi.say_digits(command.value, ALL_KEYS))
            try:
                number = int(command.value)
            except ValueError:
                return Played()  # nothing sensible to say; the flow goes on
            return Played(await agi.say_number(number, ALL_KEYS))
        if isinstance(command, LookupCustomer):
            return LookupResult(await self._dip(command, session))
        if isinstance(command, RecordMessage):
            return await self._record(agi, command, session)
        raise TypeError(f"no way to run {command!r}")

    async def _collect(self, agi: AgiSession, command: CollectDigits) -> Digits:
        """Prompts are interruptible: the key that cuts a prompt short is the first digit."""
        digits = ""
        for prompt in command.prompts:
            digits = await agi.stream_file(f"{PROMPT_DIR}/{prompt}", ALL_KEYS)
            if digits:
                break
        timeout = command.timeout
        while True:
            if digits and command.terminator and digits.endswith(command.terminator):
                return Digits(digits[: -len(command.terminator)])
            if len(digits) >= command.max_digits:
                return Digits(digits)
            key = await agi.wait_for_digit(timeout)
            if not key:
                return Digits(digits, timed_out=True)
            digits += key
            timeout = min(command.timeout, INTER_DIGIT_TIMEOUT)

    async def _dip(self, command: LookupCustomer, session: IvrSession) -> dict[str, Any] | None:
        try:
            async with asyncio.timeout(self._lookup_timeout):
                return await self._lookup(command.by, command.value)
        except Exception as exc:  # database away or slow: the caller goes on as unknown
            log.warning("IVR lookup by %s failed: %s", command.by, exc)
            self._recorder.note(session, "IvrLookupFailed", {"By": command.by, "Error": str(exc) or type(exc).__name__})
            return None

    async def _record(self, agi: AgiSession, command: RecordMessage, session: IvrSession) -> Recorded:
        for prompt in command.prompts:
            await agi.stream_file(f"{PROMPT_DIR}/{prompt}", "")
        path = str(self._messages_dir / f"ivr-message-{session.uniqueid}-{len(session.path)}")
        recorded = await agi.record_file(path, "wav", "#", command.max_seconds * 1000, beep=True, silence_s=5)
        seconds = recorded.endpos / 8000  # samples at 8 kHz
        if seconds < 0.5:
            return Recorded(None, seconds)
        session.message_path = f"{path}.wav"
        self._recorder.note(session, "IvrMessageRecorded", {"Path": session.message_path, "Seconds": f"{seconds:.1f}"})
        return Recorded(session.message_path, seconds)

    async def _finish(self, agi: AgiSession, command: Finish, *, session_caller: str, session: IvrSession) -> None:
        # What the flow decided is on the session before the closing prompts: a caller who hangs up during
        # "we will call you back" still gets the callback.
        routing = command.routing
        session.routing = {
            "queue": routing.queue, "skills": dict(routing.skills), "priority": routing.priority,
            "language": routing.language,
        }
        if command.outcome == "callback":
            session.callback_number = session_caller
            if self._callbacks is not None and session_caller:
                self._callbacks(session, routing)
        for prompt in command.prompts:
            await agi.stream_file(f"{PROMPT_DIR}/{prompt}", "")
        if command.outcome == "fallback":
            return  # CCSERVER_ROUTED stays unset: the dialplan's fallback takes the call
        for name, value in routing_variables(routing).items():
            await agi.set_variable(name, value)
        await agi.set_variable("CCSERVER_NEXT", "acd" if command.outcome == "handoff" else "hangup")
        await agi.set_variable("CCSERVER_ROUTED", "1")
