"""The FastAGI server and its sessions, over real TCP on 127.0.0.1, against a client that speaks AGI the
way Asterisk does: headers and a blank line, then one reply per command (plus HANGUP on its own)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import struct
from collections.abc import AsyncIterator

import pytest

from ccserver.asterisk.agi_server import AgiHandler, AgiServer
from ccserver.asterisk.agi_session import AgiCommandError, AgiHangup, AgiSession, AgiTimeout

DEAD = "511 Command Not Permitted on a dead channel or intercept routine"


@contextlib.asynccontextmanager
async def agi_server(handler: AgiHandler, **options: float) -> AsyncIterator[AgiServer]:
    server = AgiServer("127.0.0.1", 0, handler, **options)  # type: ignore[arg-type]
    async with server:
        yield server


class Asterisk:
    """One call as Asterisk places it over FastAGI."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def call(cls, port: int, script: str = "inbound?switch=pbx1", uniqueid: str = "1700000000.1",
                   callerid: str = "+15551230001", args: tuple[str, ...] = ()) -> Asterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        lines = [
            "agi_network: yes", f"agi_network_script: {script}", f"agi_request: agi://127.0.0.1:{port}/{script}",
            "agi_channel: PJSIP/trunk-00000001", "agi_language: en", "agi_type: PJSIP",
            f"agi_uniqueid: {uniqueid}", "agi_version: 20.5.0", f"agi_callerid: {callerid}",
            "agi_calleridname: José Martín", "agi_callingpres: 0", "agi_dnid: 18005550100",
            "agi_rdnis: unknown", "agi_context: from-pstn", "agi_extension: 18005550100",
            "agi_priority: 3", "agi_enhanced: 0.0", "agi_accountcode: ", "agi_threadid: 140000000000",
            *(f"agi_arg_{n}: {arg}" for n, arg in enumerate(args, 1)),
        ]
        writer.write(("\n".join(lines) + "\n\n").encode())
        return cls(reader, writer)

    async def command(self) -> str:
        line = await asyncio.wait_for(self.reader.readline(), 5)
        assert line, "the server closed the connection"
        return line.decode().rstrip("\n")

    def reply(self, *lines: str) -> None:
        self.writer.write("".join(f"{line}\n" for line in lines).encode())

    async def expect(self, command: str, *reply: str) -> None:
        assert await self.command() == command
        self.reply(*reply)

    async def hung_up_on(self) -> bool:
        """True once the server has closed the connection (then closes ours)."""
        try:
            return await asyncio.wait_for(self.reader.read(), 5) == b""
        finally:
            self.writer.close()

    def close(self) -> None:
        self.writer.close()


async def test_a_call_reaches_the_flow_named_in_the_url_with_its_parameters_args_and_caller() -> None:
    seen: list[AgiSession] = []

    async def flow(session: AgiSession) -> None:
        seen.append(session)

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port, "inbound?switch=pbx1&linkedid=1700000000.1", args=("sales", ""))
        assert await call.hung_up_on()
    (session,) = seen
    assert (session.path, session.params) == ("inbound", {"switch": "pbx1", "linkedid": "1700000000.1"})
    assert session.args == ["sales", ""]
    assert (session.uniqueid, session.channel) == ("1700000000.1", "PJSIP/trunk-00000001")
    assert (session.caller_id, session.caller_name, session.dnid) == ("+15551230001", "José Martín", "18005550100")
    assert session.headers["agi_rdnis"] == "unknown"
    assert server.stats.sessions_total == 1 and server.stats.sessions_active == 0


async def test_a_menu_flow_drives_the_caller_through_typed_commands() -> None:
    results: list[object] = []

    async def flow(session: AgiSession) -> None:
        await session.answer()
        results.append(await session.stream_file("welcome", "123"))
        results.append(await session.get_data("ivr/account", 4000, 6))
        results.append(await session.get_data("ivr/menu", 3000, 1))
        results.append(await session.get_data("ivr/menu", 3000, 1))
        results.append(await session.get_variable("CRM_TIER"))
        results.append(await session.get_variable("CALLERID(name)"))
        await session.set_variable("CCSERVER_NEXT", "acd queue")
        results.append(await session.say_digits("42", "#"))
        results.append(await session.exec("Playback", "ivr/thanks,noanswer"))

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        await call.expect("ANSWER", "200 result=0")
        await call.expect('STREAM FILE welcome 123', "200 result=50 endpos=1200")
        await call.expect("GET DATA ivr/account 4000 6", "200 result=12 (timeout)")
        await call.expect("GET DATA ivr/menu 3000 1", "200 result= (timeout)")
        await call.expect("GET DATA ivr/menu 3000 1", "200 result=")  # '#' alone
        await call.expect("GET VARIABLE CRM_TIER", "200 result=0")
        await call.expect("GET VARIABLE CALLERID(name)", "200 result=1 (José (VIP) Martín)")
        await call.expect('SET VARIABLE CCSERVER_NEXT "acd queue"', "200 result=1")
        await call.expect('SAY DIGITS 42 #', "200 result=0")
        await call.expect("EXEC Playback ivr/thanks,noanswer", "200 result=0")
        assert await call.hung_up_on()
    assert results == ["2", ("12", True), ("", True), ("", False), None, "José (VIP) Martín", "", 0]


async def test_many_concurrent_calls_are_served_by_one_process() -> None:
    async def flow(session: AgiSession) -> None:
        await session.answer()
        digits, _ = await session.get_data("ivr/menu", 3000, 1)
        await session.set_variable("CHOICE", digits)

    async def one_call(port: int, n: int) -> None:
        call = await Asterisk.call(port, uniqueid=f"1700000000.{n}")
        await call.expect("ANSWER", "200 result=0")
        await call.expect("GET DATA ivr/menu 3000 1", f"200 result={n % 10}")
        await call.expect(f"SET VARIABLE CHOICE {n % 10}", "200 result=1")
        assert await call.hung_up_on()

    async with agi_server(flow) as server:
        await asyncio.gather(*(one_call(server.port, n) for n in range(300)))
    assert server.stats.sessions_total == 300
    assert server.stats.handler_errors == server.stats.sessions_hung_up == server.stats.rejected_total == 0


async def _send_garbage(port: int, data: bytes, close: bool) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    if close:
        writer.write_eof()
    try:
        return await asyncio.wait_for(reader.read(), 5) == b""
    finally:
        writer.close()


@pytest.mark.parametrize(
    ("data", "close", "reason"),
    [
        (bytes(range(256)) * 4, False, "not_agi"),
        (b"GET /metrics HTTP/1.1\r\nHost: ccserver\r\n\r\n", False, "not_agi"),
        (b"", False, "timeout"),  # connects and says nothing
        (b"agi_network: yes\nagi_request: agi://h/inbound\n", True, "truncated"),  # closes before the blank line
        (b"", True, "eof"),
        (b"agi_request: " + b"x" * 70_000, False, "too_large"),
        (b"agi_channel: PJSIP/x\n\n", False, "no_request"),
    ],
)
async def test_garbage_on_the_port_is_closed_logged_and_counted_and_the_next_call_works(
    data: bytes, close: bool, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def flow(session: AgiSession) -> None:
        await session.answer()

    caplog.set_level(logging.INFO, logger="ccserver.asterisk.agi_server")
    async with agi_server(flow, header_timeout=0.3) as server:
        assert await _send_garbage(server.port, data, close)
        call = await Asterisk.call(server.port)
        await call.expect("ANSWER", "200 result=0")
        assert await call.hung_up_on()
    assert dict(server.stats.rejected) == {reason: 1}
    assert server.stats.sessions_total == 1
    assert [r.message for r in caplog.records if "closed:" in r.message][0].count("\n") == 0
    assert f"closed: {reason}" in caplog.text


async def test_a_peer_resetting_the_connection_mid_headers_is_counted_and_the_server_carries_on() -> None:
    async def flow(session: AgiSession) -> None:
        await session.answer()

    async with agi_server(flow) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_network: yes\nagi_request: agi://h/inb")
        await writer.drain()
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST
        writer.transport.abort()
        call = await Asterisk.call(server.port)
        await call.expect("ANSWER", "200 result=0")
        assert await call.hung_up_on()
    assert dict(server.stats.rejected) == {"truncated": 1}


async def test_caller_hanging_up_during_a_prompt_reaches_the_flow_and_dead_channel_commands_still_work() -> None:
    outcome: list[str] = []

    async def flow(session: AgiSession) -> None:
        try:
            await session.stream_file("ivr/welcome", "")
        except AgiHangup:
            outcome.append("hung up")
            await session.set_variable("IVR_RESULT", "abandoned")  # allowed on a dead channel
            raise

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        await call.expect('STREAM FILE ivr/welcome ""', "200 result=-1 endpos=4000")
        await call.expect("CHANNEL STATUS", "HANGUP", DEAD)
        await call.expect("SET VARIABLE IVR_RESULT abandoned", "200 result=1")
        assert await call.hung_up_on()
    assert outcome == ["hung up"]
    assert server.stats.sessions_hung_up == 1 and server.stats.handler_errors == 0


async def test_a_missing_prompt_is_a_command_error_not_a_hangup() -> None:
    errors: list[AgiCommandError] = []

    async def flow(session: AgiSession) -> None:
        try:
            await session.stream_file("ivr/no-such-prompt", "")
        except AgiCommandError as exc:
            errors.append(exc)
        await session.hangup()

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        await call.expect('STREAM FILE ivr/no-such-prompt ""', "200 result=-1 endpos=0")
        await call.expect("CHANNEL STATUS", "200 result=6")
        await call.expect("HANGUP", "200 result=1")
        assert await call.hung_up_on()
    assert "missing file" in str(errors[0])


async def test_hangup_sent_between_commands_ends_the_next_one_and_keeps_the_stream_in_step() -> None:
    outcome: list[object] = []

    async def flow(session: AgiSession) -> None:
        try:
            await session.get_data("ivr/menu", 3000, 1)
        except AgiHangup:
            outcome.append(session.hung_up)
        outcome.append(await session.get_variable("CDR(billsec)"))

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        call.reply("HANGUP")  # the caller hung up while the flow was busy elsewhere
        await call.expect("GET DATA ivr/menu 3000 1", DEAD)
        await call.expect("GET VARIABLE CDR(billsec)", "200 result=1 (12)")
        assert await call.hung_up_on()
    assert outcome == [True, "12"]


async def test_eof_mid_command_is_a_hangup() -> None:
    outcome: list[str] = []

    async def flow(session: AgiSession) -> None:
        try:
            await session.get_data("ivr/menu", 3000, 1)
        except AgiHangup as exc:
            outcome.append(str(exc))
            raise

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        assert await call.command() == "GET DATA ivr/menu 3000 1"
        call.reply("HANGUP")
        call.close()
        async with asyncio.timeout(5):
            while not outcome:
                await asyncio.sleep(0.01)
    assert "connection closed" in outcome[0]
    assert server.stats.sessions_hung_up == 1


async def test_hangup_without_a_reply_ends_the_command_after_the_grace_period() -> None:
    outcome: list[type[Exception]] = []

    async def flow(session: AgiSession) -> None:
        try:
            await session.stream_file("ivr/welcome", "")
        except AgiHangup as exc:
            outcome.append(type(exc))

    async with agi_server(flow, hangup_grace=0.1) as server:
        call = await Asterisk.call(server.port)
        assert await call.command() == 'STREAM FILE ivr/welcome ""'
        call.reply("HANGUP")
        assert await call.hung_up_on()
    assert outcome == [AgiHangup]


async def test_refused_commands_raise_with_the_message_and_usage_and_the_call_goes_on() -> None:
    errors: list[AgiCommandError] = []

    async def flow(session: AgiSession) -> None:
        for line in ("FROB 1", "SAY NUMBER x 12"):
            try:
                await session.command(line)
            except AgiCommandError as exc:
                errors.append(exc)
        await session.answer()

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        await call.expect("FROB 1", "510 Invalid or unknown command")
        await call.expect("SAY NUMBER x 12", "520-Invalid command syntax.  Proper usage follows:",
                          " Usage: SAY NUMBER <number> <escape digits> [gender]", "   Says a number.",
                          "520 End of proper usage.")
        await call.expect("ANSWER", "200 result=0")
        assert await call.hung_up_on()
    assert [e.code for e in errors] == [510, 520]
    assert "Invalid or unknown command" in errors[0].message
    assert errors[1].usage == " Usage: SAY NUMBER <number> <escape digits> [gender]\n   Says a number."


async def test_voicemail_recording_ended_by_hangup_is_kept_not_an_error() -> None:
    results: list[object] = []

    async def flow(session: AgiSession) -> None:
        results.append(await session.record_file("/var/spool/ccserver/vm/1", "wav", "#", 120000, silence_s=4))

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        await call.expect("RECORD FILE /var/spool/ccserver/vm/1 wav # 120000 BEEP s=4",
                          "200 result=-1 (hangup) endpos=64000")
        assert await call.hung_up_on()
    (recorded,) = results
    assert (recorded.ended_by, recorded.endpos) == ("hangup", 64000)  # type: ignore[attr-defined]


async def test_a_flow_that_fails_is_logged_with_the_uniqueid_and_the_server_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def flow(session: AgiSession) -> None:
        if session.uniqueid == "1700000000.66":
            raise RuntimeError("flow bug")
        await session.answer()

    async with agi_server(flow) as server:
        broken = await Asterisk.call(server.port, uniqueid="1700000000.66")
        assert await broken.hung_up_on()
        call = await Asterisk.call(server.port)
        await call.expect("ANSWER", "200 result=0")
        assert await call.hung_up_on()
    assert "1700000000.66" in caplog.text and "flow bug" in caplog.text
    assert server.stats.handler_errors == 1 and server.stats.sessions_total == 2


async def test_no_reply_in_time_is_a_timeout_and_the_session_is_closed() -> None:
    outcome: list[type[Exception]] = []

    async def flow(session: AgiSession) -> None:
        try:
            await session.answer()
        except AgiTimeout as exc:
            outcome.append(type(exc))
            assert session.closed

    async with agi_server(flow, command_timeout=0.1) as server:
        call = await Asterisk.call(server.port)
        assert await call.command() == "ANSWER"
        assert await call.hung_up_on()
    assert outcome == [AgiTimeout]


async def test_closing_the_server_cancels_calls_in_progress_cleanly() -> None:
    cancelled: list[bool] = []

    async def flow(session: AgiSession) -> None:
        try:
            await session.get_data("ivr/menu", 60000, 1)  # the caller never answers
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    server = AgiServer("127.0.0.1", 0, flow)
    await server.start()
    port = server.port
    calls = [await Asterisk.call(port, uniqueid=f"1700000000.{n}") for n in range(5)]
    for call in calls:
        assert await call.command() == "GET DATA ivr/menu 60000 1"
    await asyncio.wait_for(server.close(), 5)
    assert cancelled == [True] * 5
    assert server.stats.sessions_active == 0
    for call in calls:
        assert await call.hung_up_on()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_hanging_up_a_caller_who_is_already_gone_is_not_an_error() -> None:
    done: list[bool] = []

    async def flow(session: AgiSession) -> None:
        await session.hangup()
        done.append(True)

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        await call.expect("HANGUP", "HANGUP", DEAD)
        assert await call.hung_up_on()
    assert done == [True] and server.stats.handler_errors == 0


async def test_two_commands_at_once_on_one_call_are_refused() -> None:
    errors: list[BaseException] = []

    async def flow(session: AgiSession) -> None:
        first = asyncio.ensure_future(session.answer())
        await asyncio.sleep(0.05)
        try:
            await session.verbose("x")
        except RuntimeError as exc:
            errors.append(exc)
        await first

    async with agi_server(flow) as server:
        call = await Asterisk.call(server.port)
        assert await call.command() == "ANSWER"
        await asyncio.sleep(0.2)  # the flow tries VERBOSE meanwhile
        call.reply("200 result=0")
        assert await call.hung_up_on()
    assert "waits for its reply" in str(errors[0])


async def test_finished_and_rejected_calls_leave_no_connection_garbage_for_the_collector() -> None:
    """Python 3.11 transports hold a bound method of themselves; the server breaks that cycle on close,
    so a busy day of calls does not pile up garbage that the collector frees in one long pause."""
    async def flow(session: AgiSession) -> None:
        await session.answer()

    async def one_call(port: int, n: int) -> None:
        call = await Asterisk.call(port, uniqueid=f"1700000001.{n}")
        await call.expect("ANSWER", "200 result=0")
        assert await call.hung_up_on()

    async with agi_server(flow) as server:
        port = server.port
        gc.collect()
        gc.disable()
        try:
            await asyncio.gather(*(one_call(port, n) for n in range(20)))
            await _send_garbage(port, b"GET / HTTP/1.0\r\n\r\n", close=True)
            await asyncio.sleep(0.1)  # connection_lost callbacks run
            gc.set_debug(gc.DEBUG_SAVEALL)
            gc.collect()
            ours = [
                o for o in gc.garbage
                if type(o).__name__ == "_SelectorSocketTransport" and _local_port(o) == port
            ]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert ours == []


def _local_port(transport: asyncio.Transport) -> int:
    sockname = transport.get_extra_info("sockname")
    return int(sockname[1]) if isinstance(sockname, tuple) else 0


async def test_a_caller_whose_name_is_not_utf8_still_reaches_the_flow(caplog: pytest.LogCaptureFixture) -> None:
    names: list[str] = []

    async def flow(session: AgiSession) -> None:
        names.append(session.caller_name)
        await session.answer()

    async with agi_server(flow) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_request: agi://127.0.0.1/inbound\nagi_uniqueid: 1.1\nagi_calleridname: Jos\xe9\n\n")
        call = Asterisk(reader, writer)
        await call.expect("ANSWER", "200 result=0")
        assert await call.hung_up_on()
    assert names == ["Jos\ufffd"]
    assert server.stats.rejected_total == 0
    assert "not UTF-8" in caplog.text
