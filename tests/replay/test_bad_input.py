"""Bad bytes from the switch, through a real `AmiLink`: skipped and counted, never a dropped connection.

And the opposite case: a peer that stops answering Ping is dropped and reconnected to.
"""

from __future__ import annotations

from ccserver.bench.ami_replay import AmiReplayServer, RawFeed
from ccserver.bench.harness import wait_until

from .conftest import StartLink
from .support import CollectingListener


def _user_event(seq: int, *extra: bytes) -> bytes:
    return b"\r\n".join([b"Event: UserEvent", b"UserEvent: probe", b"Seq: %d" % seq, *extra]) + b"\r\n\r\n"


BAD_STREAM = [
    _user_event(1),
    _user_event(2, b"this line has no colon", b": a value without a key", b"Bad Key: a space in the key"),
    b"Foo: bar\r\nBaz: neither Event nor Response\r\n\r\n",
    _user_event(3, b"CallerIDName: bad \xff\xfe bytes"),
    b"Event: UserEvent\r\nSeq: 99\r\nBig: " + b"x" * 1_000_000 + b"\r\n\r\n",
    _user_event(4),
    # One frame in two TCP writes, the name's "é" (c3 a9) cut between them.
    (b"Event: UserEvent\r\nUserEvent: probe\r\nSeq: 5\r\nCallerIDName: Jos\xc3", b"\xa9 M\r\n\r\n"),
    _user_event(6),
]


async def test_bad_input_is_skipped_and_counted_while_the_link_stays_up(start_link: StartLink) -> None:
    listener = CollectingListener()
    async with AmiReplayServer(RawFeed(BAD_STREAM, pause=0.03), max_seconds=30) as server:
        link = start_link(server.port, listener, ping_interval=0.2)  # pings answered throughout
        reads: list[bytes] = []
        link.raw_tap = reads.append
        await wait_until(lambda: any(e.get("Seq") == "6" for e in listener.events), timeout=10)
        await wait_until(lambda: server.pings >= 2, timeout=10)

        probes = [e for e in listener.events if e.get("UserEvent") == "probe"]
        assert [e["Seq"] for e in probes] == ["1", "2", "3", "4", "5", "6"]
        assert any(read.endswith(b"Jos\xc3") for read in reads)  # the cut really fell between two reads
        assert probes[4]["CallerIDName"] == "José M"  # ... and the name still arrives whole
        assert probes[2]["CallerIDName"] == "bad \ufffd\ufffd bytes"
        assert link.logins == server.logins == 1 and link.logged_in and listener.downs == 0

        stats = link.frame_stats
        assert (stats.malformed_lines, stats.not_ami, stats.undecodable) == (3, 1, 1)
        assert stats.oversized >= 1 and not any(e.get("Seq") == "99" for e in listener.events)


async def test_a_peer_that_never_answers_ping_is_dropped_and_reconnected(start_link: StartLink) -> None:
    listener = CollectingListener()
    async with AmiReplayServer(RawFeed([]), answer_pings=False, max_seconds=30) as server:
        link = start_link(server.port, listener, ping_interval=0.3)
        # the second login's resync follows it: wait for both, not only the login
        await wait_until(lambda: link.logins >= 2 and listener.resyncs >= 2, timeout=10)
        assert server.logins >= 2 and server.pings >= 1
        assert listener.downs >= 1 and listener.resyncs >= 2
