"""The FastAGI server: Asterisk's `AGI(agi://host:port/<flow>?k=v,arg1,...)` connects here, one TCP
connection per call, many calls in one asyncio process.

Why not panoramisk's `fast_agi.Application` (see ../shared/LIBRARY-FACTS.md, reproduced on 1.4): its
connection handler reads the headers in a loop that spins and freezes the event loop when the peer
closes before the blank line, never times out, splits reads before decoding, catches BaseException
around the route (so cancellation is swallowed) and closes without tracking its tasks; its
`Request.send_command` raises ValueError on EOF and leaves a multi-line 520 reply half read. What it
gives beyond that is a dict of routes, which is one line here (the handler gets `session.path`). So
ccserver keeps panoramisk for AMI and does FastAGI itself, small and tested:

- headers: the first bytes must be `agi_` (anything else is refused at once), then one read up to the
  blank line, bounded in size (`max_header_bytes`) and time (`header_timeout`), decoded whole (bytes
  that are not UTF-8, e.g. a Latin-1 caller name, become U+FFFD: the caller still gets the IVR); a
  connection that is not AGI (random bytes, HTTP, silence, closed early) is closed, logged in one line
  and counted by reason in `stats.rejected`; the server carries on;
- each call runs in its own task, owned by the server and cancelled (never swallowed) by `close()`;
  one watchdog task ends commands that outlive `command_timeout` (see agi_session);
- a handler that raises is logged with the call's uniqueid; AgiHangup is a normal end, logged at INFO.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ccserver.asterisk.agi_session import (
    DEFAULT_COMMAND_TIMEOUT,
    HANGUP_GRACE,
    AgiHangup,
    AgiSession,
    close_connection,
)
from ccserver.asterisk.agi_wire import (
    HEADERS_END,
    HEADERS_START,
    BadRequest,
    not_utf8,
    parse_headers,
    parse_request,
)

log = logging.getLogger(__name__)

AgiHandler = Callable[[AgiSession], Awaitable[None]]

DEFAULT_HEADER_TIMEOUT = 5.0  # Asterisk sends its headers at once, right after connecting
DEFAULT_MAX_HEADER_BYTES = 64 * 1024


@dataclass
class AgiStats:
    """Counters read at scrape time (nothing is pushed per call)."""

    sessions_total: int = 0  # calls whose headers were accepted
    sessions_active: int = 0
    sessions_hung_up: int = 0  # ended by AgiHangup escaping the handler
    handler_errors: int = 0  # ended by any other exception
    rejected: Counter[str] = field(default_factory=Counter)  # by agi_wire.REJECT_REASONS

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


class AgiServer:
    def __init__(
        self,
        host: str,
        port: int,
        handler: AgiHandler,
        *,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        hangup_grace: float = HANGUP_GRACE,
        backlog: int = 1024,
        stats: AgiStats | None = None,
    ) -> None:
        self.host, self._port = host, port
        self.handler = handler
        self.header_timeout = header_timeout
        self.max_header_bytes = max_header_bytes
        self.command_timeout = command_timeout
        self.hangup_grace = hangup_grace
        self.backlog = backlog
        self.stats = stats or AgiStats()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sessions: set[AgiSession] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self._accepted = 0
        self._closing = False

    @property
    def port(self) -> int:
        """The bound port (useful with port 0) once started, else the configured one."""
        if self._server is not None and self._server.sockets:
            port: int = self._server.sockets[0].getsockname()[1]
            return port
        return self._port

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("AgiServer already started")
        self._closing = False
        self._server = await asyncio.start_server(
            self._accept, self.host, self._port, backlog=self.backlog, limit=self.max_header_bytes
        )
        self._watchdog = asyncio.create_task(self._expire_overdue_commands(), name="agi-command-watchdog")
        log.info("FastAGI listening on %s:%d", self.host, self.port)

    async def serve(self) -> None:
        """Start and run until cancelled, then close: fits `Supervisor.start("agi", server.serve)`."""
        await self.start()
        try:
            await asyncio.Future()  # until cancelled
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop listening, cancel every call's task and wait for them to finish."""
        self._closing = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = list(self._tasks) + ([self._watchdog] if self._watchdog else [])
        self._watchdog = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> AgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain function, so asyncio makes no task of its own: the call's task is ours to track.
        if self._closing:
            close_connection(writer)
            return
        self._accepted += 1
        task = asyncio.create_task(self._connection(reader, writer), name=f"agi-call-{self._accepted}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                async with asyncio.timeout(self.header_timeout):
                    headers = await self._read_headers(reader)
                request = parse_request(headers)
            except TimeoutError:
                raise BadRequest("timeout", f"no complete AGI headers within {self.header_timeout:g} s") from None
            except ConnectionError as exc:
                raise BadRequest("truncated", f"{type(exc).__name__} before the headers ended") from None
        except BadRequest as exc:
            self.stats.rejected[exc.reason] += 1
            level = logging.INFO if exc.reason == "eof" else logging.WARNING
            log.log(level, "FastAGI connection from %s closed: %s", _peer(writer), exc)
            close_connection(writer)
            return
        session = AgiSession(
            request, reader, writer, command_timeout=self.command_timeout, hangup_grace=self.hangup_grace
        )
        await self._run_handler(session)

    async def _read_headers(self, reader: asyncio.StreamReader) -> dict[str, str]:
        """Two reads: the first bytes must be `agi_` (HTTP, TLS hellos and noise are refused at once),
        then everything up to the blank line, decoded and parsed whole."""
        try:
            start = await reader.readexactly(len(HEADERS_START))
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise BadRequest("eof", "closed without sending anything") from None
            raise BadRequest("truncated", f"sent {exc.partial!r} and closed") from None
        if start != HEADERS_START:
            raise BadRequest("not_agi", f"starts with {start!r}, not with agi_* headers")
        try:
            block = await reader.readuntil(HEADERS_END)
        except asyncio.IncompleteReadError:
            raise BadRequest("truncated", "closed before the blank line ending the headers") from None
        except asyncio.LimitOverrunError:
            raise BadRequest("too_large", f"no blank line within {self.max_header_bytes} bytes") from None
        if not_utf8(start + block):
            log.warning("FastAGI request with header bytes that are not UTF-8: kept with U+FFFD in their place")
        return parse_headers(start + block)

    async def _expire_overdue_commands(self) -> None:
        """Ends the wait of every command past its deadline (see agi_session: one sweep, no timers)."""
        loop = asyncio.get_running_loop()
        interval = min(1.0, self.command_timeout / 4, self.hangup_grace / 4)
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            for session in self._sessions:
                if session.deadline is not None and session.deadline <= now:
                    log.warning("FastAGI flow %r, uniqueid %s: no reply in time; closing the call",
                                session.path, session.uniqueid)
                    try:
                        session.expire()
                    except Exception:  # never let one call stop the watchdog for all the others
                        log.exception("FastAGI: could not close uniqueid %s", session.uniqueid)

    async def _run_handler(self, session: AgiSession) -> None:
        stats = self.stats
        stats.sessions_total += 1
        stats.sessions_active += 1
        self._sessions.add(session)
        try:
            await self.handler(session)
        except AgiHangup as exc:
            stats.sessions_hung_up += 1
            log.info("FastAGI flow %r ended, uniqueid %s: %s", session.path, session.uniqueid, exc)
        except Exception:
            stats.handler_errors += 1
            log.exception("FastAGI flow %r failed, uniqueid %s, channel %s", session.path, session.uniqueid,
                          session.channel)
        finally:
            stats.sessions_active -= 1
            self._sessions.discard(session)
            session.close()


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else str(peer)
