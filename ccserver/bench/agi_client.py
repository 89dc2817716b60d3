"""Load generator for `ccserver bench agi`: many concurrent FastAGI calls placed the way Asterisk places
them (headers, blank line, then one reply per command), each command answered at once, or paced
(after `think_ms` +-50%, standing in for a prompt being played) with the calls' starts spread out
(see `Load`), so that they do not all speak in step. The caller lets every prompt play to its end
and presses `Load.keys`, one key per WAIT FOR DIGIT, as an IVR flow asks for them.

What it times is the server's turn-around: from a reply written to the next command read, plus the
call set-up (headers written to the first command read). It runs in a child process (`ClientProcess`)
so its own CPU does not count against the server it measures; `run_round` can also run in-process.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import random
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

_REPLIES = {
    b"ANSWER": b"200 result=0\n",
    b"STREAM FILE": b"200 result=0 endpos=8000\n",
    b"GET DATA": b"200 result=1\n",
    b"GET VARIABLE": b"200 result=1 (Jose Martin)\n",
    b"SET VARIABLE": b"200 result=1\n",
    b"SAY DIGITS": b"200 result=0\n",
    b"SAY NUMBER": b"200 result=0\n",
    b"RECORD FILE": b"200 result=35 (dtmf) endpos=8000\n",
    b"CHANNEL STATUS": b"200 result=6\n",
    b"VERBOSE": b"200 result=1\n",
    b"HANGUP": b"200 result=1\n",
    b"EXEC": b"200 result=0\n",
}
_DEFAULT_REPLY = b"200 result=0\n"


def reply_to(command: bytes, keys: Iterator[str] | None = None) -> bytes:
    """Asterisk's reply to `command`; WAIT FOR DIGIT gets the next of `keys` (none left: no key)."""
    if command.startswith(b"WAIT FOR DIGIT"):
        key = next(keys, "") if keys is not None else ""
        return b"200 result=%d\n" % (ord(key) if key else 0)
    words = command.split(b" ", 2)
    return _REPLIES.get(b" ".join(words[:2])) or _REPLIES.get(words[0], _DEFAULT_REPLY)


@dataclass
class RoundResult:
    sessions: int = 0
    failed: int = 0
    commands: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the client's own CPU over the round (its process, or the shared one inline)
    turnaround: array[float] = field(default_factory=lambda: array("d"))  # reply written -> next command
    setup: array[float] = field(default_factory=lambda: array("d"))  # headers written -> first command
    errors: list[str] = field(default_factory=list)
    first_call: list[bytes] = field(default_factory=list)  # the command lines of the round's first call


def _headers(port: int, n: int) -> bytes:
    script = f"bench?switch=bench&call={n}"
    lines = [
        "agi_network: yes", f"agi_network_script: {script}", f"agi_request: agi://127.0.0.1:{port}/{script}",
        f"agi_channel: PJSIP/trunk-{n:08x}", "agi_language: en", "agi_type: PJSIP",
        f"agi_uniqueid: 1700000000.{n}", "agi_version: 20.5.0", f"agi_callerid: +1555{n:07d}",
        "agi_calleridname: Jose Martin", "agi_callingpres: 0", "agi_callingani2: 0", "agi_callington: 0",
        "agi_callingtns: 0", "agi_dnid: 18005550100", "agi_rdnis: unknown", "agi_context: from-pstn",
        "agi_extension: 18005550100", "agi_priority: 3", "agi_enhanced: 0.0", "agi_accountcode: ",
        "agi_threadid: 140000000000", "agi_arg_1: sales",
    ]
    return ("\n".join(lines) + "\n\n").encode()


@dataclass(frozen=True)
class Load:
    """How a round places its calls: `slots` calls in flight at most, each slot placing `calls_per_slot`
    calls back to back; replies after `think_ms` (+-50%; 0: at once); slot starts spread over
    `spread_ms` (0: all at once). Each caller presses `keys` in order, one per WAIT FOR DIGIT."""

    slots: int
    calls_per_slot: int = 1
    think_ms: float = 0.0
    spread_ms: float = 0.0
    keys: str = ""

    @property
    def calls(self) -> int:
        return self.slots * self.calls_per_slot


async def _slot(port: int, first: int, load: Load, result: RoundResult, lines: list[bytes] | None) -> None:
    """`lines`: where the slot's first call notes its commands (None: nowhere)."""
    pace = random.Random(first)
    if load.spread_ms:
        await asyncio.sleep(pace.uniform(0, load.spread_ms / 1000))
    for n in range(first, first + load.calls_per_slot):
        await _one_call(port, n, load, pace, result, lines if n == first else None)


async def _one_call(
    port: int, n: int, load: Load, pace: random.Random, result: RoundResult, lines: list[bytes] | None
) -> None:
    clock = time.perf_counter
    think, keys = load.think_ms / 1000, iter(load.keys)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        result.failed += 1
        result.errors.append(f"connect: {exc}")
        return
    commands = 0
    try:
        writer.write(_headers(port, n))
        sent = clock()
        while line := await reader.readline():
            now = clock()
            (result.turnaround if commands else result.setup).append(now - sent)
            commands += 1
            if lines is not None:
                lines.append(line)
            if think:
                await asyncio.sleep(think * pace.uniform(0.5, 1.5))
            writer.write(reply_to(line, keys))
            sent = clock()
        result.commands += commands
        if commands == 0:
            result.failed += 1
            result.errors.append("closed before any command")
    except OSError as exc:
        result.failed += 1
        result.errors.append(f"call {n}: {exc!r}")
    finally:
        writer.close()


async def run_round(port: int, load: Load, *, first: int = 0) -> RoundResult:
    """Place `load.calls` calls against 127.0.0.1:`port`, each until the server hangs up."""
    result = RoundResult(sessions=load.calls)
    started, cpu = time.perf_counter(), time.process_time()
    slots = range(first, first + load.calls, load.calls_per_slot)
    await asyncio.gather(*(_slot(port, n, load, result, result.first_call if n == first else None) for n in slots))
    result.seconds, result.cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    del result.errors[20:]
    return result


def _child(conn: Connection) -> None:
    # No collection inside a round: the clients' own pauses would count as the server's turn-around.
    gc.disable()
    while (request := conn.recv()) is not None:
        port, load, first = request
        conn.send(asyncio.run(run_round(port, load, first=first)))
        gc.collect()


class ClientProcess:
    """The load generator in a child process; one round at a time."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_child, args=(child,), name="agi-bench-clients", daemon=True)
        self._process.start()
        child.close()

    async def run_round(self, port: int, load: Load, *, first: int, timeout: float) -> RoundResult:
        self._conn.send((port, load, first))
        return await asyncio.to_thread(self._receive, timeout)

    def _receive(self, timeout: float) -> RoundResult:
        if not self._conn.poll(timeout):
            raise TimeoutError(f"the client process gave no result within {timeout:g} s")
        result: RoundResult = self._conn.recv()
        return result

    def close(self) -> None:
        try:
            self._conn.send(None)
        except OSError:
            pass
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()
