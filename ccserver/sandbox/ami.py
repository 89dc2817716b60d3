"""A minimal asyncio AMI client for tooling: log in, wait for FullyBooted, run one action at a time.

The server's AMI link lives in `ccserver.asterisk`; this one only serves the sandbox and
`config check`, which need a handful of request/response exchanges and no event stream.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class AmiError(RuntimeError):
    pass


@dataclass
class AmiMessage:
    headers: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str, default: str = "") -> str:
        lowered = key.lower()
        for name, value in self.headers:
            if name.lower() == lowered:
                return value
        return default

    def get_all(self, key: str) -> list[str]:
        lowered = key.lower()
        return [value for name, value in self.headers if name.lower() == lowered]

    @property
    def is_event(self) -> bool:
        return bool(self.get("Event"))


def parse_message(block: str) -> AmiMessage:
    message = AmiMessage()
    for line in block.split("\r\n"):
        if not line:
            continue
        name, _, value = line.partition(":")
        message.headers.append((name.strip(), value[1:] if value.startswith(" ") else value))
    return message


class AmiClient:
    """One AMI session. Not for concurrent use: each call sends an action and reads until its reply."""

    # Tooling only ever waits on loopback; callers wanting less wrap a call in `asyncio.timeout`.
    action_timeout = 30.0

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, banner: str) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self.banner = banner
        self.events: list[AmiMessage] = []

    @classmethod
    async def login(
        cls, host: str, port: int, username: str, secret: str, *, events: str = "system"
    ) -> AmiClient:
        """Connect and log in; `events` is the event mask (`system` is enough for FullyBooted)."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), cls.action_timeout)
        try:
            line = await asyncio.wait_for(reader.readline(), cls.action_timeout)
            banner = line.decode(errors="replace").strip()
            if not banner.startswith("Asterisk Call Manager"):
                raise AmiError(f"{host}:{port} is not an AMI port (banner {banner!r})")
            client = cls(reader, writer, banner)
            reply = await client.action("Login", Username=username, Secret=secret, Events=events)
        except BaseException:
            writer.close()
            raise
        if reply.get("Response") != "Success":
            await client.close()
            raise AmiError(f"AMI login as {username} refused: {reply.get('Message')}")
        return client

    async def _read_message(self) -> AmiMessage:
        block = await self._reader.readuntil(b"\r\n\r\n")
        return parse_message(block.decode("utf-8", errors="replace"))

    async def action(self, name: str, **headers: str) -> AmiMessage:
        """Send `name` and return its Response; events read meanwhile are kept in `self.events`."""
        action_id = f"ccs-{next(self._ids)}"
        lines = [f"Action: {name}", f"ActionID: {action_id}"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self._writer.drain()

        async def reply() -> AmiMessage:
            while True:
                message = await self._read_message()
                if message.get("ActionID") == action_id and not message.is_event:
                    return message
                self.events.append(message)

        return await asyncio.wait_for(reply(), self.action_timeout)

    async def list_action(self, name: str, **headers: str) -> tuple[AmiMessage, list[AmiMessage]]:
        """An action answered by a list of events ending with `EventList: Complete` (CoreShowChannels)."""
        response = await self.action(name, **headers)
        if response.get("Response") != "Success":
            return response, []
        action_id = response.get("ActionID")

        async def collect() -> list[AmiMessage]:
            items: list[AmiMessage] = []
            while True:
                message = await self._read_message()
                if message.get("ActionID") != action_id:
                    self.events.append(message)
                elif message.get("EventList") == "Complete":
                    return items
                else:
                    items.append(message)

        return response, await asyncio.wait_for(collect(), self.action_timeout)

    async def command(self, cli_command: str) -> str:
        """Run a CLI command through `Action: Command` and return its output."""
        reply = await self.action("Command", Command=cli_command)
        if reply.get("Response") not in ("Success", "Follows"):
            raise AmiError(f"{cli_command!r} failed: {reply.get('Message')}")
        return "\n".join(reply.get_all("Output"))

    async def wait_for_event(self, event: str) -> AmiMessage:
        """The next `event` (or one already read); wrap in `asyncio.timeout` to bound the wait."""
        for i, seen in enumerate(self.events):
            if seen.get("Event") == event:
                return self.events.pop(i)

        while True:
            message = await self._read_message()
            if message.get("Event") == event:
                return message
            self.events.append(message)

    async def close(self) -> None:
        try:
            self._writer.write(b"Action: Logoff\r\n\r\n")
            await self._writer.drain()
        except (ConnectionError, RuntimeError):
            pass
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, RuntimeError):
            pass

    async def __aenter__(self) -> AmiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` to completion from sync code, even when the caller is already inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
