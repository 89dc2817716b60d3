"""One FastAGI call: what Asterisk told us about it, and typed AGI commands with their replies checked.

A handler needs two exceptions:
- `AgiHangup`: the caller is gone (a `HANGUP` line, a 511 reply, a result of -1 that CHANNEL STATUS
  confirms as a hangup, the connection closed) or the session cannot go on (`AgiTimeout`: no reply in
  time; `AgiProtocolError`: a reply that is not AGI). Stop the flow; commands allowed on a dead
  channel (SET VARIABLE, GET VARIABLE, VERBOSE, EXEC) still work after a real hangup.
- `AgiCommandError`: Asterisk refused one command (510 unknown, 520 usage, EXEC of a missing
  application, a prompt that cannot be played) while the caller is still there.

Asterisk writes `HANGUP` between commands once the caller has hung up (unless AGISIGHUP=no). The
session reads it with the next reply: that command's reply is still read (so the stream stays in
step), then AgiHangup is raised; a flag (`hung_up`) remembers it.

Timeouts: each command sets `deadline` (loop time); the server's watchdog calls `expire()` on a session
past it, which aborts the connection and ends the wait with AgiTimeout (or AgiHangup when a HANGUP
line came first and the reply did not follow within `hangup_grace`). One sweep a second for all calls
costs far less than a timer per command (500 calls keep 500 timers churning in asyncio's heap).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import dataclass
from typing import Literal, NoReturn

from ccserver.asterisk.agi_wire import AgiReply, AgiRequest, build_command, encode_command, parse_reply


def close_connection(writer: asyncio.StreamWriter) -> None:
    """Close an AGI connection without leaving garbage behind.

    Python 3.11's selector transport keeps a bound method of itself (`_read_ready_cb`): a reference
    cycle per connection that only the garbage collector frees, in pauses of 50-140 ms every ~10k calls
    (benchmarks/README.md, "Garbage collection"). 3.12 drops it on close (CPython gh-100348); so do we.
    Safe right after close(): closing removes the reader, so the callback is never called again.
    """
    writer.close()
    transport = writer.transport
    if sys.version_info < (3, 12) and hasattr(transport, "_read_ready_cb"):
        transport._read_ready_cb = None

DEFAULT_COMMAND_TIMEOUT = 120.0  # GET DATA and RECORD FILE wait for the caller: be generous
HANGUP_GRACE = 2.0  # after a HANGUP line, how long the reply to the command in flight may still take
_MAX_USAGE_LINES = 200
_DRAIN_ABOVE = 64 * 1024  # a command waits for its reply, so the write buffer stays tiny


class AgiError(Exception):
    pass


class AgiHangup(AgiError):
    """The caller hung up, or the session cannot carry on; the flow should stop."""


class AgiTimeout(AgiHangup):
    """No reply within the command timeout. The stream is out of step, so the session is closed."""


class AgiProtocolError(AgiHangup):
    """A reply that is not AGI. The session is closed."""


class AgiCommandError(AgiError):
    """Asterisk refused a command; the caller is still on the line. `code` is 510, 520, or 200 for a
    command whose result says it failed."""

    def __init__(self, code: int, message: str, usage: str = "") -> None:
        super().__init__(f"{code} {message}")
        self.code, self.message, self.usage = code, message, usage


@dataclass(frozen=True, slots=True)
class RecordResult:
    """How RECORD FILE ended. The file is kept in every case, also when the caller hung up (the usual
    end of a voicemail): `ended_by` is "dtmf" (digit in `digit`), "timeout" (time or silence limit) or
    "hangup". `endpos` is the length in samples."""

    ended_by: Literal["dtmf", "timeout", "hangup"]
    digit: str = ""
    endpos: int = 0


class AgiSession:
    """One call. What Asterisk sent when the call arrived, as plain attributes: `path` (the flow name),
    `params` (the URL's query), `args` (AGI(url,arg1,...)), `headers` (every agi_* value as sent),
    `uniqueid`, `channel`, `caller_id`, `caller_name`, `dnid`, `extension`, `context`, `language`
    ("" where Asterisk sent "unknown"). One command at a time."""

    def __init__(
        self,
        request: AgiRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        hangup_grace: float = HANGUP_GRACE,
    ) -> None:
        self.request = request
        self.path, self.params, self.args = request.path, request.params, request.args
        self.headers = request.headers
        header = request.header
        self.uniqueid, self.channel = header("agi_uniqueid"), header("agi_channel")
        self.caller_id, self.caller_name = header("agi_callerid"), header("agi_calleridname")
        self.dnid, self.extension = header("agi_dnid"), header("agi_extension")
        self.context, self.language = header("agi_context"), header("agi_language")
        self.command_timeout = command_timeout
        self.hangup_grace = hangup_grace
        self.hung_up = False  # a HANGUP line or a 511 reply was seen
        self.commands = 0
        self.deadline: float | None = None  # loop time by which the command in flight must be answered
        self._reader, self._writer = reader, writer
        self._loop = asyncio.get_running_loop()
        self._closed = False
        self._expired = False

    # ---- commands ---------------------------------------------------------------------------------

    async def command(self, line: str) -> AgiReply:
        """Send one complete command line (arguments already quoted) and return its 200 reply.
        Raises AgiHangup / AgiCommandError as the module docstring says."""
        return await self._run(encode_command(line), line.partition(" ")[0])

    async def answer(self) -> None:
        if (await self._call("ANSWER")).result == "-1":
            raise AgiHangup("ANSWER failed: the channel is gone")

    async def stream_file(self, name: str, escape_digits: str = "") -> str:
        """Play a sound file; the digit that interrupted it, or ""."""
        return await self._digit(await self._call("STREAM FILE", name, escape_digits), f"STREAM FILE {name}")

    async def get_data(self, file: str, timeout_ms: int = 5000, max_digits: int = 1) -> tuple[str, bool]:
        """Play `file` and collect up to `max_digits` digits (`#` ends entry early and is not returned).
        Returns (digits, timed_out): timed_out when the caller stopped keying before max_digits without
        `#`; ("", True) when nothing was keyed. timeout_ms=0 means Asterisk's default."""
        reply = await self._call("GET DATA", file, timeout_ms, max_digits)
        if reply.result == "-1":
            await self._raise_failure(f"GET DATA {file}")
        return reply.result, reply.data == "timeout"

    async def wait_for_digit(self, timeout_s: float) -> str:
        """The next key the caller presses within `timeout_s`, or "" when none."""
        return await self._digit(await self._call("WAIT FOR DIGIT", int(timeout_s * 1000)), "WAIT FOR DIGIT")

    async def say_digits(self, digits: str, escape_digits: str = "") -> str:
        """Say `digits` one by one; the digit that interrupted, or ""."""
        return await self._digit(await self._call("SAY DIGITS", digits, escape_digits), "SAY DIGITS")

    async def say_number(self, number: int, escape_digits: str = "", gender: str | None = None) -> str:
        args: tuple[str | int, ...] = (number, escape_digits) + ((gender,) if gender else ())
        return await self._digit(await self._call("SAY NUMBER", *args), "SAY NUMBER")

    async def set_variable(self, name: str, value: str) -> None:
        await self._call("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        """A channel variable or dialplan function (e.g. "CALLERID(name)"); None when not set."""
        reply = await self._call("GET VARIABLE", name)
        return reply.data if reply.result == "1" else None

    async def record_file(
        self, path: str, fmt: str = "wav", escape_digits: str = "#", timeout_ms: int = -1, *,
        beep: bool = True, silence_s: int | None = None,
    ) -> RecordResult:
        """Record to `path`.`fmt` (path without extension, as Asterisk sees it) until an escape digit,
        `timeout_ms` (-1: no limit), `silence_s` of silence, or the caller hanging up (not an error:
        see RecordResult)."""
        args: list[str | int] = [path, fmt, escape_digits, timeout_ms]
        if beep:
            args.append("BEEP")
        if silence_s:
            args.append(f"s={silence_s}")
        reply = await self._call("RECORD FILE", *args)
        endpos = int(reply.extras.get("endpos", "0") or 0)
        code = self._int(reply)
        if reply.data == "dtmf" or (reply.data == "randomerror" and code > 0):  # the latter: a key during the beep
            return RecordResult("dtmf", chr(code), endpos)
        if reply.data == "timeout":
            return RecordResult("timeout", "", endpos)
        if reply.data in ("hangup", "waitfor"):
            self.hung_up = True
            return RecordResult("hangup", "", endpos)
        if reply.data == "writefile":
            raise AgiCommandError(200, f"RECORD FILE could not write {path}.{fmt}")
        await self._raise_failure(f"RECORD FILE {path}")

    async def exec(self, app: str, args: str = "") -> int:
        """Run a dialplan application; its return value (-1 usually means the caller hung up)."""
        reply = await self._call("EXEC", app, args)
        if reply.result == "-2":
            raise AgiCommandError(200, f"EXEC: no application {app!r}")
        return self._int(reply)

    async def verbose(self, message: str, level: int = 1) -> None:
        await self._call("VERBOSE", message, level)

    async def hangup(self) -> None:
        """Hang up the caller (nothing to do if already gone); then end the handler."""
        with contextlib.suppress(AgiHangup):
            await self._call("HANGUP")

    def close(self) -> None:
        """Close the connection: Asterisk ends the AGI() application and the dialplan carries on."""
        if not self._closed:
            self._closed = True
            close_connection(self._writer)

    def expire(self) -> None:
        """The watchdog's call once `deadline` has passed: abort the connection, ending the wait."""
        self._expired = True
        self._closed = True
        self.deadline = None
        self._writer.transport.abort()

    @property
    def closed(self) -> bool:
        return self._closed

    # ---- wire ---------------------------------------------------------------------------------------

    async def _call(self, verb: str, *args: str | int) -> AgiReply:
        return await self._run(build_command(verb, *args), verb)

    async def _run(self, data: bytes, what: str) -> AgiReply:
        if self._closed:
            raise AgiHangup(f"{what}: the AGI session is closed")
        if self.deadline is not None:
            raise RuntimeError(f"{what} sent while another AGI command waits for its reply")
        self.commands += 1
        self.deadline = self._loop.time() + self.command_timeout
        try:
            self._writer.write(data)
            if self._writer.transport.get_write_buffer_size() > _DRAIN_ABOVE:  # never, unless Asterisk stalls
                await self._writer.drain()
            reply, saw_hangup = await self._read_reply()
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            self.close()
            if self._expired and self.hung_up:
                raise AgiHangup(f"caller hung up; no reply to {what} after HANGUP") from None
            if self._expired:
                raise AgiTimeout(f"no reply to {what} within {self.command_timeout:g} s") from None
            raise AgiHangup(f"connection closed during {what} ({type(exc).__name__})") from None
        except (ValueError, asyncio.LimitOverrunError) as exc:  # LimitOverrunError: a line over the limit
            self.close()
            raise AgiProtocolError(f"bad reply to {what}: {exc}") from None
        finally:
            self.deadline = None
        if reply.code == 511:
            self.hung_up = True
            raise AgiHangup(f"caller hung up ({what}: {reply.code} {reply.data})")
        if saw_hangup:
            raise AgiHangup(f"caller hung up (HANGUP before the reply to {what})")
        if reply.code != 200:
            message, _, usage = reply.data.partition("\n")
            raise AgiCommandError(reply.code, f"{what}: {message}", usage)
        return reply

    async def _read_reply(self) -> tuple[AgiReply, bool]:
        saw_hangup = False
        while True:
            line = await self._read_line()
            if line == "HANGUP":
                if not saw_hangup:
                    saw_hangup = self.hung_up = True
                    grace = self._loop.time() + self.hangup_grace
                    self.deadline = min(self.deadline or grace, grace)
                continue
            reply = parse_reply(line)
            if reply.code == 100:  # "100 result=0 Trying...": the real reply follows
                continue
            if reply.code == 520 and line.startswith("520-"):
                usage: list[str] = []
                while not (line := await self._read_line()).startswith("520 "):
                    if len(usage) < _MAX_USAGE_LINES:
                        usage.append(line)
                reply = reply._replace(data="\n".join([reply.data, *usage]))
            return reply, saw_hangup

    async def _read_line(self) -> str:
        raw = await self._reader.readuntil(b"\n")
        # Values (GET VARIABLE) may hold bytes that are not UTF-8: shown as U+FFFD, never dropped silently.
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    async def _digit(self, reply: AgiReply, what: str) -> str:
        """Results that are the ASCII code of the key pressed (0: none; -1: failed)."""
        code = self._int(reply)
        if code < 0:
            await self._raise_failure(what)
        return chr(code) if 0 < code < 128 else ""

    def _int(self, reply: AgiReply) -> int:
        try:
            return int(reply.result)
        except ValueError:
            self.close()
            raise AgiProtocolError(f"result {reply.result!r} is not a number: {reply.line!r}") from None

    async def _raise_failure(self, what: str) -> NoReturn:
        """result=-1: Asterisk says the same for a hangup and for, e.g., a missing sound file. By the time
        it reads our next command it has switched a hung-up call to dead mode, where CHANNEL STATUS
        gets HANGUP and/or 511; on a live channel it answers with the channel state."""
        try:
            await self._call("CHANNEL STATUS")
        except AgiHangup:
            raise AgiHangup(f"caller hung up during {what}") from None
        raise AgiCommandError(200, f"{what} failed (result=-1) with the caller still on the line; missing file?")
