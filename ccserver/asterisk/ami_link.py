"""One AMI connection per switch: panoramisk's Manager behind an adapter that covers its pitfalls.

What the adapter adds (see ../shared/LIBRARY-FACTS.md): frames decoded whole (UTF-8 safe, bad input
skipped); events delivered synchronously and in order to one listener, never through panoramisk's
callbacks; our own login state; a timeout on every action; a ping-reply watchdog that notices a
half-open TCP connection; reconnect with exponential backoff; a resync after every login.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from ccserver.asterisk.ami_frames import (
    FrameSplitter,
    FrameStats,
    Headers,
    is_action_reply,
    is_switch_event,
    parse_frame,
)
from ccserver.asterisk.ami_url import AmiEndpoint

log = logging.getLogger(__name__)


class AmiNotConnected(ConnectionError):
    pass


class AmiActionFailed(RuntimeError):
    pass


class LinkListener(Protocol):
    """What the link reports to. Called synchronously; implementations must not raise or block."""

    def on_event(self, headers: Headers, received_at: datetime) -> None: ...

    def on_link_down(self, at: datetime) -> None: ...

    def known_channels(self) -> set[str]: ...

    def on_resync(self, known_before: set[str], channels: list[Headers], at: datetime) -> None: ...


class _Protocol(AMIProtocol):
    def __init__(self, manager: _Manager) -> None:
        self._manager = manager

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.factory = self._manager  # panoramisk sets it only later; the banner may come first
        self.splitter = FrameSplitter(stats=self._manager.link.frame_stats)

    def data_received(self, data: bytes) -> None:  # type: ignore[override]
        link = self._manager.link
        if link.raw_tap is not None:
            link.raw_tap(data)
        received_at = datetime.now(UTC)
        stats, responses, deliver = self.splitter.stats, self.responses, link.deliver  # looked up once a read
        for frame in self.splitter.feed(data):
            headers = parse_frame(frame, stats)
            if headers is None:
                continue
            # A reply nobody waits for any more (its action timed out) is dropped.
            if is_action_reply(headers) and headers.get("ActionID") in responses:
                self.handle_message(Message(headers))
            if is_switch_event(headers):
                deliver(headers, received_at)


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager minus its auto-reconnect, pinger and callback dispatch."""

    def __init__(self, link: AmiLink, **config: Any) -> None:
        super().__init__(**config)
        self.link = link

    def ping(self) -> None:  # the link runs its own watchdog
        return None

    def dispatch(self, event: Message) -> list[str]:
        return []

    def connection_lost(self, exc: Exception | None) -> None:
        self._connected = False
        self.authenticated = False
        for action in list(self.awaiting_actions):
            if not action.future.done():
                action.future.set_exception(AmiNotConnected("AMI connection lost"))
        self.awaiting_actions.clear()
        self.link.connection_lost(exc)


class Backoff:
    def __init__(self, initial: float = 0.5, maximum: float = 30.0) -> None:
        self.initial, self.maximum = initial, maximum
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self.maximum, self._next * 2)
        return delay * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._next = self.initial


class AmiLink:
    def __init__(
        self,
        endpoint: AmiEndpoint,
        listener: LinkListener,
        *,
        action_timeout: float = 10.0,
        ping_interval: float = 5.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.switch_id = endpoint.switch_id
        self._listener = listener
        self._action_timeout = action_timeout
        self._ping_interval = ping_interval
        self._backoff = backoff or Backoff()
        self._manager: _Manager | None = None
        self._lost: asyncio.Future[None] | None = None
        self.logged_in = False
        self.ready = asyncio.Event()  # set while logged in and resynced
        self.asterisk_version: str | None = None
        self.logins = 0
        self.frame_stats = FrameStats()
        self.raw_tap: Callable[[bytes], None] | None = None  # sees every byte received (trace recording)

    # ---- lifecycle -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, and reconnect for ever. Cancel to stop."""
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                self.close()
                raise
            except (OSError, TimeoutError, AmiActionFailed, AmiNotConnected) as exc:
                log.warning("AMI %s: %s", self.endpoint, exc or type(exc).__name__)
            self._went_down()
            delay = self._backoff.next()
            log.info("AMI %s: reconnecting in %.1f s", self.switch_id, delay)
            await asyncio.sleep(delay)

    def close(self) -> None:
        if self._manager is not None:
            self._manager.close()
        self._went_down()

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        self._lost = loop.create_future()
        manager = _Manager(
            self, host=self.endpoint.host, port=self.endpoint.port, username=self.endpoint.username,
            secret=self.endpoint.secret, loop=loop, events="on", encoding="utf8",
        )
        async with asyncio.timeout(self._action_timeout):
            transport, protocol = await loop.create_connection(
                lambda: _Protocol(manager), self.endpoint.host, self.endpoint.port
            )
        connected: asyncio.Future[tuple[Any, Any]] = loop.create_future()
        connected.set_result((transport, protocol))
        self._manager = manager
        manager.connection_made(connected)  # sends Login
        try:
            await self._log_in(manager)
            self.asterisk_version = protocol.splitter.banner
            log.info("AMI %s: logged in (%s)", self.switch_id, self.asterisk_version)
            await self._resync()
            self._backoff.reset()
            self.ready.set()
            watchdog = asyncio.create_task(self._watchdog(), name=f"ami-watchdog-{self.switch_id}")
            try:
                await self._lost
            finally:
                watchdog.cancel()
                await asyncio.gather(watchdog, return_exceptions=True)
        finally:
            manager.close()  # a refused login or a failed resync must not leave the socket open

    async def _log_in(self, manager: _Manager) -> None:
        async with asyncio.timeout(self._action_timeout):
            login = await asyncio.shield(manager.authenticated_future)
        if not login.success:
            user = self.endpoint.username
            raise AmiActionFailed(f"login refused for user {user!r}: {login.get('Message')}")
        self.logged_in = True
        self.logins += 1

    async def _resync(self) -> None:
        known_before = self._listener.known_channels()
        reply = await self.action({"Action": "CoreShowChannels"}, as_list=True)
        channels = [dict(m) for m in reply if m.get("Event") == "CoreShowChannel"]
        self._listener.on_resync(known_before, channels, datetime.now(UTC))
        log.info("AMI %s: resynced, %d live channels", self.switch_id, len(channels))

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                await self.action({"Action": "Ping"}, timeout=self._ping_interval)
            except (TimeoutError, AmiNotConnected, AmiActionFailed):
                log.warning("AMI %s: no reply to Ping, dropping the connection", self.switch_id)
                self._abort()
                return

    def _abort(self) -> None:
        manager = self._manager
        if manager is not None and manager.protocol is not None:
            manager.protocol.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    def _went_down(self) -> None:
        was_up = self.logged_in
        self.logged_in = False
        self.ready.clear()
        if was_up:
            log.warning("AMI %s: link down", self.switch_id)
            self._listener.on_link_down(datetime.now(UTC))

    def deliver(self, headers: Headers, received_at: datetime) -> None:
        try:
            self._listener.on_event(headers, received_at)
        except Exception:  # a listener bug must not take the AMI link down with it
            log.exception("AMI %s: listener failed on %s", self.switch_id, headers.get("Event"))

    # ---- actions -------------------------------------------------------------------------------

    async def action(
        self, action: Mapping[str, Any], *, as_list: bool | None = None, timeout: float | None = None
    ) -> Any:
        """Send an action; its reply (a list for list actions). Raises on timeout or error reply."""
        manager = self._manager
        if manager is None or not self.logged_in or manager.protocol is None or manager.protocol.closed:
            raise AmiNotConnected(f"AMI {self.switch_id} is not connected")
        payload = dict(action)
        # panoramisk reads the action's `Async` header whenever a reply says "... successfully queued"
        # (Originate, Atxfer) and drops the socket on a KeyError without it.
        if payload.get("Action", "").lower() == "originate":
            payload["Async"] = "true"
        else:
            payload.setdefault("Async", "false")
        future = manager.send_action(payload, as_list=as_list)
        try:
            async with asyncio.timeout(timeout or self._action_timeout):
                reply = await future
        except TimeoutError:
            raise TimeoutError(f"AMI {self.switch_id}: no reply to {payload.get('Action')}") from None
        first = reply[0] if isinstance(reply, list) else reply
        if first.get("Response") in ("Error", "Failure", "Fail"):
            raise AmiActionFailed(f"{payload.get('Action')}: {first.get('Message')}")
        return reply
