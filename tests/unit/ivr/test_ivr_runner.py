"""The IVR runner on a real FastAGI server, against a client that answers as Asterisk does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from ccserver.asterisk.agi_server import AgiServer
from ccserver.events.bus import EventBus
from ccserver.events.journal_ids import JournalIds
from ccserver.events.model import IvrSession, TrackedEvent
from ccserver.ivr.flow_registry import FlowRegistry
from ccserver.ivr.recorder import IvrRecorder
from ccserver.ivr.runner import IvrRunner

CALLBACK_FLOW = """\
flow: main
languages: [en]
start: callback
nodes:
  callback:
    type: callback
    prompt: callback_confirmed
    queue: callbacks
"""


class Ended:
    name = "ended"

    def __init__(self) -> None:
        self.sessions: list[IvrSession] = []

    def offer(self, entry: TrackedEvent) -> None:
        if entry.name == "ccserver.IvrEnded":
            self.sessions += [e for e in entry.touched if isinstance(e, IvrSession)]


async def test_a_caller_who_hangs_up_during_the_callback_confirmation_still_gets_the_callback(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "main.yaml").write_text(CALLBACK_FLOW)
    (tmp_path / "prompts" / "en").mkdir(parents=True)
    (tmp_path / "prompts" / "en" / "callback_confirmed.txt").write_text("We will call you back.")
    flows = FlowRegistry(tmp_path / "flows", prompt_dir=tmp_path / "prompts")
    assert flows.reload() == []
    bus, ended = EventBus(), Ended()
    bus.subscribe(ended)

    def now() -> datetime:
        return datetime.now(UTC)

    async def nobody(by: str, value: str) -> None:
        return None

    runner = IvrRunner(
        flows=flows, recorder=IvrRecorder(bus=bus, ids=JournalIds(), clock=now), lookup=nobody,
        switch_ids=["pbx1"], normalise_phone=lambda n: "+14155550100", clock=now, messages_dir="/tmp",
    )
    async with AgiServer("127.0.0.1", 0, runner.handle) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"agi_request: agi://127.0.0.1/main\nagi_uniqueid: 1.1\nagi_callerid: 4155550100\n\n")
        for reply in ("200 result=0", "200 result=1"):  # ANSWER, SET VARIABLE CHANNEL(language)
            await reader.readline()
            writer.write(f"{reply}\n".encode())
        assert (await reader.readline()).startswith(b"STREAM FILE ccserver/callback_confirmed")
        writer.write(b"HANGUP\n200 result=-1 endpos=0\n")  # the caller hangs up during the confirmation
        while await reader.readline():  # dead-channel replies until the runner lets go
            writer.write(b"511 Command Not Permitted on a dead channel or intercept routine\n")
        writer.close()
    (session,) = ended.sessions
    assert (session.outcome, session.callback_number) == ("callback", "+14155550100")
    assert session.routing["queue"] == "callbacks"
