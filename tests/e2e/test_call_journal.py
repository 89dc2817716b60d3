"""Calls through the real Asterisk sandbox land in PostgreSQL and the REST API exactly as they happened.

All scenarios are placed at once (the switch handles them concurrently, like a real contact center),
then each test checks one of them.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

import asyncpg
import httpx
import pytest

from ccserver.backbone import Backbone
from ccserver.bench.harness import wait_until
from ccserver.crm.journal_rows import CALL_COLUMNS, LEG_COLUMNS, call_row, leg_row
from ccserver.crm.phones import to_e164
from ccserver.events.journal_ids import JournalIds
from ccserver.events.model import Leg
from ccserver.events.replay import replay
from ccserver.events.tracker import CallTracker
from tests.e2e.switch import live_legs, place_inbound_call, wait_call_row_ended

pytestmark = pytest.mark.sandbox

CUSTOMER_PHONE_AS_ENTERED = "(415) 555-0100"  # national format; callers present +14155550100
# Refreshed with CCSERVER_RECORD_FIXTURES=1; tests/unit/test_recorded_sandbox_trace.py checks it offline.
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ami" / "sandbox_scenarios.raw"


@dataclass
class Placed:
    linkedid: str
    call: asyncpg.Record
    legs: list[asyncpg.Record]
    events: list[asyncpg.Record]


async def _blind_transfer_when_bridged(backbone: Backbone, linkedid: str, to_did: str) -> None:
    switch = backbone.switches["sandbox"]
    tracker = switch.ingest.tracker

    def bridged_callee():
        return next((g for g in live_legs(tracker, linkedid) if g.role == "dialed" and g.bridge_id), None)

    callee = await wait_until(bridged_callee, timeout=15, what="callee bridged")
    await switch.link.action(
        {"Action": "BlindTransfer", "Channel": callee.channel, "Context": "from-pstn", "Exten": to_did}
    )


async def _redirect_while_ringing(backbone: Backbone, linkedid: str, to_did: str) -> None:
    switch = backbone.switches["sandbox"]
    tracker = switch.ingest.tracker

    def ringing_callee():
        return next((g for g in live_legs(tracker, linkedid) if g.role == "dialed" and g.ringing_at), None)

    await wait_until(ringing_callee, timeout=15, what="callee ringing")
    originator = next(g for g in live_legs(tracker, linkedid) if g.role == "originator")
    await switch.link.action({
        "Action": "Redirect", "Channel": originator.channel, "Context": "from-pstn", "Exten": to_did,
        "Priority": "1",
    })


@pytest.fixture(scope="module")
async def customer_id(backbone: Backbone, api_key_factory) -> str:
    from ccserver.api.app import create_app
    from ccserver.crm.database import create_engine

    engine = create_engine(database_url=backbone.settings.database_url)
    try:
        client_app = create_app(settings=backbone.settings, engine=engine)
        key = await api_key_factory("integrator")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client_app), base_url="http://t") as c:
            response = await c.post(
                "/api/v1/customers",
                json={"name": "Zoë Ångström", "tier": "gold", "phones": [{"number": CUSTOMER_PHONE_AS_ENTERED}]},
                headers={"Authorization": f"Bearer {key}"},
            )
        assert response.status_code == 201, response.text
        return response.json()["id"]
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def scenarios(backbone: Backbone, customer_id: str, asyncpg_dsn: str) -> dict[str, Placed]:
    link = backbone.switches["sandbox"].link
    plan = {
        # callee rings 1 s, answers, talks 2 s, hangs up; the caller would have stayed 8 s
        "answered": dict(did="20102", caller_stays=8),
        "busy": dict(did="30000", caller_stays=8),
        # the fallback gives up after 2 s of ringing
        "unanswered": dict(did="40000", caller_stays=10, fallback_timeout=2),
        # the caller gives up after 2 s while the callee is still ringing
        "caller_hangs_up_ringing": dict(did="40000", caller_stays=2, fallback_timeout=30),
        "congestion": dict(did="50000", caller_stays=8),
        "anonymous": dict(did="20101", caller_stays=8, caller_id='"" <anonymous>'),
        "blind_transfer": dict(did="20130", caller_stays=30),
        "redirected": dict(did="40000", caller_stays=30, fallback_timeout=30),
    }
    placed_ids = await asyncio.gather(*(place_inbound_call(link, **kw) for kw in plan.values()))
    linkedids = dict(zip(plan, placed_ids, strict=True))
    await asyncio.gather(
        _blind_transfer_when_bridged(backbone, linkedids["blind_transfer"], "20102"),
        _redirect_while_ringing(backbone, linkedids["redirected"], "20101"),
    )
    rows = await asyncio.gather(*(wait_call_row_ended(asyncpg_dsn, lid) for lid in linkedids.values()))
    await backbone.journal.wait_idle()
    conn = await asyncpg.connect(asyncpg_dsn)
    try:
        placed = {}
        for name, row in zip(plan, rows, strict=True):
            legs = await conn.fetch("SELECT * FROM legs WHERE call_id = $1 ORDER BY created_at, uniqueid", row["id"])
            events = await conn.fetch("SELECT * FROM call_events WHERE call_id = $1 ORDER BY id", row["id"])
            placed[name] = Placed(linkedid=linkedids[name], call=row, legs=legs, events=events)
        return placed
    finally:
        await conn.close()


def _dialed(placed: Placed) -> list[asyncpg.Record]:
    return [g for g in placed.legs if g["role"] == "dialed"]


def _about(delta: timedelta, seconds: float, slack: float = 0.6) -> bool:
    return abs(delta.total_seconds() - seconds) <= slack


async def test_answered_call_has_ring_answer_and_talk_times_of_the_switch(scenarios) -> None:
    placed = scenarios["answered"]
    call = placed.call
    assert call["direction"] == "inbound" and call["dialed_number"] == "20102"
    assert call["outcome"] == "answered"
    assert _about(call["answered_at"] - call["started_at"], 1.0)  # the callee rang 1 s
    assert _about(call["ended_at"] - call["answered_at"], 2.0)  # then talked 2 s and hung up
    assert call["hangup_cause"] == 16 and call["hangup_cause_text"] == "Normal Clearing"
    (callee,) = _dialed(placed)
    assert callee["dial_status"] == "ANSWER" and callee["endpoint"] == "20102@sim-callee"
    assert callee["ringing_at"] is not None and callee["answered_at"] is not None
    assert all(leg["hungup_at"] is not None for leg in placed.legs)


async def test_inbound_caller_is_matched_to_customer_by_e164(scenarios, customer_id) -> None:
    call = scenarios["answered"].call
    assert call["caller_number"] == "+14155550100" and call["caller_e164"] == "+14155550100"
    assert call["caller_name"] == "Zoë Ångström"  # UTF-8 survives the AMI link whole
    assert str(call["customer_id"]) == customer_id


async def test_busy_callee(scenarios) -> None:
    placed = scenarios["busy"]
    assert placed.call["outcome"] == "busy" and placed.call["answered_at"] is None
    assert placed.call["hangup_cause"] == 17  # the caller hears busy, not a normal clearing
    (callee,) = _dialed(placed)
    assert callee["dial_status"] == "BUSY"


async def test_callee_that_never_answers_times_out(scenarios) -> None:
    placed = scenarios["unanswered"]
    assert placed.call["outcome"] == "no_answer" and placed.call["answered_at"] is None
    assert placed.call["hangup_cause"] == 19
    (callee,) = _dialed(placed)
    assert callee["dial_status"] == "NOANSWER" and callee["answered_at"] is None
    assert _about(placed.call["ended_at"] - callee["created_at"], 2.0, slack=1.0)


async def test_caller_hanging_up_while_ringing_is_an_abandon(scenarios) -> None:
    placed = scenarios["caller_hangs_up_ringing"]
    assert placed.call["outcome"] == "abandoned" and placed.call["answered_at"] is None
    (callee,) = _dialed(placed)
    assert callee["dial_status"] == "CANCEL"
    assert _about(placed.call["ended_at"] - placed.call["started_at"], 2.0, slack=1.0)


async def test_congestion_is_a_failed_call(scenarios) -> None:
    placed = scenarios["congestion"]
    assert placed.call["outcome"] == "failed" and placed.call["hangup_cause"] == 34
    (callee,) = _dialed(placed)
    assert callee["dial_status"] == "CONGESTION"


async def test_anonymous_caller_has_no_number_and_no_customer(scenarios) -> None:
    call = scenarios["anonymous"].call
    assert call["caller_number"] is None and call["caller_e164"] is None and call["customer_id"] is None
    assert call["outcome"] == "answered"


async def test_blind_transfer_is_recorded_on_the_same_call(scenarios) -> None:
    placed = scenarios["blind_transfer"]
    assert placed.call["transfer_count"] == 1
    assert "BlindTransfer" in [e["event"] for e in placed.events]
    endpoints = [g["endpoint"] for g in _dialed(placed)]
    assert endpoints == ["20130@sim-callee", "20102@sim-callee"]
    assert all(g["dial_status"] == "ANSWER" for g in _dialed(placed))
    assert placed.call["outcome"] == "answered"


async def test_redirected_call_keeps_both_dial_attempts(scenarios) -> None:
    placed = scenarios["redirected"]
    first, second = _dialed(placed)
    assert first["endpoint"] == "40000@sim-callee" and first["answered_at"] is None
    assert second["endpoint"] == "20101@sim-callee" and second["dial_status"] == "ANSWER"
    assert placed.call["outcome"] == "answered"


async def test_journal_holds_every_event_once_in_switch_order(scenarios) -> None:
    for name, placed in scenarios.items():
        ids = [e["id"] for e in placed.events]
        assert ids == sorted(set(ids)), name
        # OriginateResponse comes from another Asterisk thread and may precede the channel's creation.
        names = [e["event"] for e in placed.events if e["event"] != "OriginateResponse"]
        assert names[0] == "Newchannel", name
        for leg in placed.legs:
            of_leg = [e["event"] for e in placed.events if e["leg_id"] == leg["id"]]
            assert of_leg.count("Newchannel") == 1 and of_leg.count("Hangup") == 1, (name, leg["channel"])
            assert of_leg.index("Newchannel") < of_leg.index("Hangup"), (name, leg["channel"])
        # (The journal's order is arrival order. Asterisk stamps events in the thread that raised them,
        # so two threads' Timestamps may interleave slightly out of order: not checked here.)
        assert all(e["raw"] and e["switch_id"] == "sandbox" for e in placed.events)


async def test_rest_api_shows_the_call_its_legs_and_timeline(scenarios, api_client, api_key_factory) -> None:
    placed = scenarios["answered"]
    headers = {"Authorization": f"Bearer {await api_key_factory('supervisor')}"}
    call_id = str(placed.call["id"])
    detail = (await api_client.get(f"/api/v1/calls/{call_id}", headers=headers)).json()
    assert detail["outcome"] == "answered" and detail["caller_number"] == "+14155550100"
    assert [leg["uniqueid"] for leg in detail["legs"]] == [g["uniqueid"] for g in placed.legs]
    timeline = (await api_client.get(f"/api/v1/calls/{call_id}/events", headers=headers)).json()
    items = timeline["items"] if isinstance(timeline, dict) else timeline
    assert [e["event"] for e in items] == [e["event"] for e in placed.events]
    listed = (await api_client.get("/api/v1/calls", params={"direction": "inbound", "limit": 100},
                                   headers=headers)).json()
    assert call_id in [c["id"] for c in listed["items"]]


async def test_replaying_the_recorded_trace_gives_what_the_live_switch_gave(scenarios, recording) -> None:
    data = bytes(recording)
    if os.environ.get("CCSERVER_RECORD_FIXTURES"):
        FIXTURE.write_bytes(data)
    tracker = CallTracker("sandbox", ids=JournalIds(), normalise_phone=partial(to_e164, default_region="US"))
    entries = replay(data, tracker)
    calls = {e.call.id: e.call for e in entries if e.call is not None and "call_ended" in e.transitions}
    legs = {g.id: g for e in entries for g in e.touched if isinstance(g, Leg)}
    for name, placed in scenarios.items():
        offline = calls[placed.call["id"]]
        assert call_row(offline) == tuple(placed.call[c] for c in CALL_COLUMNS), name
        for leg in placed.legs:
            assert leg_row(legs[leg["id"]]) == tuple(leg[c] for c in LEG_COLUMNS), (name, leg["channel"])
        offline_names = [e.name for e in entries if e.call_id == placed.call["id"]]
        assert offline_names == [e["event"] for e in placed.events], name
