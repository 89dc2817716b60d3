"""Scripted callers on the real sandbox switch, and waiting for what they leave in PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg

from ccserver.asterisk.ami_link import AmiLink
from ccserver.events.model import Call, Leg
from ccserver.events.tracker import CallTracker


async def place_inbound_call(
    link: AmiLink, *, did: str, caller_stays: int, caller_id: str = '"Zoë Ångström" <+14155550100>',
    fallback_timeout: int = 10, keys: str | None = None, flow: str | None = None,
    says: str | None = None, keys_after: str | None = None,
) -> str:
    """A caller dials `did` from the PSTN (a Local channel running [sim-caller] `caller_stays`).

    Returns the call's linkedid. Unless a test serves FastAGI, every call takes the dialplan fallback,
    which in the sandbox dials the callee simulator with the DID. With `keys` the caller runs
    [sim-ivr-caller] instead and keys them as SendDTMF does (`w`: half a second's pause) once answered;
    `flow` names the IVR flow the call runs (default: inbound); `says` is a sound the caller then
    speaks, followed by `keys_after`.
    """
    variables = [f"CCSERVER_FALLBACK_TIMEOUT={fallback_timeout}"]
    if keys is not None:
        variables.append(f"CALLER_DTMF={keys}")
    if flow is not None:
        variables.append(f"CCSERVER_FLOW={flow}")
    if says is not None:
        variables.append(f"CALLER_SAYS={says}")
    if keys_after is not None:
        variables.append(f"CALLER_DTMF_AFTER={keys_after}")
    reply = await link.action({
        "Action": "Originate",
        "Channel": f"Local/{caller_stays}@{'sim-caller' if keys is None else 'sim-ivr-caller'}",
        "Context": "from-pstn",
        "Exten": did,
        "Priority": "1",
        "CallerID": caller_id,
        "Variable": ",".join(variables),
    }, timeout=15)
    response = reply[-1]
    assert response.get("Response") == "Success", response
    return str(response["Uniqueid"])  # the Local;1 channel is the call's first channel: its linkedid


def live_call(tracker: CallTracker, linkedid: str) -> Call | None:
    return tracker.calls.get(linkedid)


def live_legs(tracker: CallTracker, linkedid: str) -> list[Leg]:
    call = tracker.calls.get(linkedid)
    return [] if call is None else [tracker.legs[u] for u in call.live_legs if u in tracker.legs]


async def wait_call_row_ended(dsn: str, linkedid: str, *, timeout: float = 60) -> asyncpg.Record:
    conn = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(timeout):
            while True:
                row = await conn.fetchrow(
                    "SELECT * FROM calls WHERE linkedid = $1 AND state = 'ended'", linkedid
                )
                if row is not None:
                    return row
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


class AmiProxy:
    """A TCP relay to the switch's AMI that a test can cut (every connection dropped, new ones refused)
    and mend: the switch itself keeps running, only ccserver loses sight of it."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.refusing = False

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def __aenter__(self) -> AmiProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def cut(self) -> None:
        self.refusing = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def mend(self) -> None:
        self.refusing = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)
        self._writers -= {writer, up_writer}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.transport.abort()
