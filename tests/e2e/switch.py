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
