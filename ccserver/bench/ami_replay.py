"""A stand-in Asterisk for benches and tests: just enough AMI for `AmiLink`, then a recorded trace.

It answers Login (then `FullyBooted`), Ping, and CoreShowChannels (an empty list); any other action gets
`Response: Error`. Once the first client has logged in and resynced, it plays its feed once: a trace
copied N times (see `trace.py`), at full speed or paced at a target events/s, each frame's `Timestamp`
stamped with its send time so a reader can measure latency. Loopback only; it stops by itself at
`max_seconds`.

    python -m ccserver.bench.ami_replay TRACE.raw --copies 100 --rate 5000   # prints "port=NNNNN"
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Sequence
from typing import Protocol

from ccserver.bench.trace import StampSlot, encode_copies, load_event_frames

log = logging.getLogger(__name__)

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
_TICK = 0.005  # paced mode: one burst every 5 ms
_FAST_BURST = 256  # full speed: frames per write


class Feed(Protocol):
    """What the server streams to its first logged-in client. Writes whole frames, or holds `lock`
    while a frame goes out in pieces (so no action reply lands in the middle of it)."""

    async def play(self, writer: asyncio.StreamWriter, lock: asyncio.Lock) -> None: ...


class TraceFeed:
    """Pre-encoded trace copies, sent at full speed (`rate=None`) or paced at `rate` events/s."""

    def __init__(self, slots: Sequence[StampSlot], *, rate: float | None = None, stamp: bool = True) -> None:
        self._slots = slots
        self._rate = rate
        self._stamp = stamp
        self.sent = 0
        self.first_sent_at: float | None = None
        self.last_sent_at: float | None = None

    def _burst(self, start: int, end: int) -> bytes:
        now = time.time()
        if self.first_sent_at is None:
            self.first_sent_at = now
        self.last_sent_at = now
        parts: list[bytes] = []
        stamp = b"%.6f" % now
        for slot in self._slots[start:end]:
            if slot.tail is None:
                parts.append(slot.head)
            else:
                parts += (slot.head, stamp if self._stamp else slot.value, slot.tail)
        return b"".join(parts)

    async def play(self, writer: asyncio.StreamWriter, lock: asyncio.Lock) -> None:
        total = len(self._slots)
        loop = asyncio.get_running_loop()
        started = loop.time()
        while self.sent < total:
            if self._rate is None:
                end = min(total, self.sent + _FAST_BURST)
            else:
                due = int((loop.time() - started) * self._rate)
                end = min(total, max(due, self.sent))
            if end > self.sent:
                writer.write(self._burst(self.sent, end))
                self.sent = end
                await writer.drain()
            if self._rate is not None and self.sent < total:
                next_tick = started + (int((loop.time() - started) / _TICK) + 1) * _TICK
                await asyncio.sleep(max(0.0, next_tick - loop.time()))


class RawFeed:
    """Raw bytes, each chunk its own TCP write with a pause after it. A tuple of chunks is one frame cut
    into pieces on purpose: the pieces go out back to back with no action reply between them."""

    def __init__(self, chunks: Sequence[bytes | tuple[bytes, ...]], *, pause: float = 0.02) -> None:
        self._chunks = chunks
        self._pause = pause

    async def play(self, writer: asyncio.StreamWriter, lock: asyncio.Lock) -> None:
        for chunk in self._chunks:
            async with lock:
                for piece in chunk if isinstance(chunk, tuple) else (chunk,):
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(self._pause)


def _headers(frame: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in frame.decode("utf-8", "replace").split("\r\n"):
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip().lower(), value.strip())
    return out


def _frame(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class AmiReplayServer:
    def __init__(self, feed: Feed, *, answer_pings: bool = True, max_seconds: float = 60.0) -> None:
        self.feed = feed
        self.answer_pings = answer_pings
        self.max_seconds = max_seconds
        self.port = 0
        self.logins = 0
        self.pings = 0
        self.finished = asyncio.Event()  # the feed has been sent in full
        self.stopped = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._feed_task: asyncio.Task[None] | None = None
        self._sessions: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._deadline: asyncio.Task[None] | None = None
        self._write_lock = asyncio.Lock()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._deadline = asyncio.create_task(self._expire(), name="ami-replay-deadline")
        return self.port

    async def _expire(self) -> None:
        await asyncio.sleep(self.max_seconds)
        log.warning("replay: time bound of %.0f s reached, stopping", self.max_seconds)
        await self._shutdown()

    async def stop(self) -> None:
        if self._deadline is not None and self._deadline is not asyncio.current_task():
            self._deadline.cancel()
            await asyncio.gather(self._deadline, return_exceptions=True)
        await self._shutdown()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        if self._feed_task is not None:
            self._feed_task.cancel()
            await asyncio.gather(self._feed_task, return_exceptions=True)
        self.drop_clients()  # sessions then end on their own (cancelling them makes asyncio log noise)
        sessions = list(self._sessions)
        if sessions:
            _, pending = await asyncio.wait(sessions, timeout=2)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self.stopped.set()

    async def __aenter__(self) -> AmiReplayServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def drop_clients(self) -> None:
        """Cut every connection (the feed, if still playing, stops with it)."""
        for writer in list(self._writers):
            writer.transport.abort()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        self._writers.add(writer)
        try:
            writer.write(BANNER)
            while True:
                frame = await reader.readuntil(b"\r\n\r\n")
                async with self._write_lock:
                    self._answer(_headers(frame), writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            self._sessions.discard(task)
            writer.close()

    def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> None:
        name = action.get("action", "").lower()
        action_id = f"ActionID: {action.get('actionid', '')}"
        if name == "login":
            self.logins += 1
            writer.write(_frame("Response: Success", action_id, "Message: Authentication accepted"))
            writer.write(_frame("Event: FullyBooted", "Privilege: system,all", "Status: Fully Booted"))
        elif name == "ping":
            self.pings += 1
            if self.answer_pings:
                writer.write(_frame("Response: Success", action_id, "Ping: Pong", f"Timestamp: {time.time():.6f}"))
        elif name == "coreshowchannels":
            writer.write(_frame("Response: Success", action_id, "EventList: start",
                                "Message: Channels will follow"))
            writer.write(_frame("Event: CoreShowChannelsComplete", action_id, "EventList: Complete",
                                "ListItems: 0"))
            if self._feed_task is None:
                self._feed_task = asyncio.create_task(self._play(writer), name="ami-replay-feed")
        else:
            writer.write(_frame("Response: Error", action_id, "Message: Not supported by the replay server"))

    async def _play(self, writer: asyncio.StreamWriter) -> None:
        try:
            await self.feed.play(writer, self._write_lock)
        except ConnectionError as exc:
            log.warning("replay: client went away mid-feed (%s)", exc)
            return
        self.finished.set()


# ---- as a process of its own (benches: the sender must not share the reader's CPU) -------------------

async def _serve(args: argparse.Namespace) -> None:
    frames = load_event_frames(args.trace)
    slots = encode_copies(frames, args.copies)
    feed = TraceFeed(slots, rate=args.rate, stamp=not args.keep_timestamps)
    server = AmiReplayServer(feed, max_seconds=args.seconds)
    port = await server.start()
    print(f"port={port} frames={len(slots)}", flush=True)
    finished = asyncio.ensure_future(server.finished.wait())
    stopped = asyncio.ensure_future(server.stopped.wait())
    await asyncio.wait([finished, stopped], return_when=asyncio.FIRST_COMPLETED)
    if server.finished.is_set():
        print(f"sent={feed.sent} first={feed.first_sent_at} last={feed.last_sent_at}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.stopped.wait(), args.linger)
    await server.stop()
    finished.cancel()
    stopped.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ccserver.bench.ami_replay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trace", help="a recorded AMI stream (tests/fixtures/ami/*.raw)")
    parser.add_argument("--copies", type=int, default=100, help="times to replay the trace (distinct calls)")
    parser.add_argument("--rate", type=float, default=None, help="events/s (default: as fast as possible)")
    parser.add_argument("--seconds", type=float, default=60.0, help="hard time bound for the whole server")
    parser.add_argument("--linger", type=float, default=5.0, help="seconds to stay up once the feed is sent")
    parser.add_argument("--keep-timestamps", action="store_true", help="send the trace's own Timestamps")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
