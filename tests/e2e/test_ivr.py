"""Scripted callers walk the IVR on the real switch: what they keyed, where the flow sent them, and what
landed in PostgreSQL and over REST.

Callers are Local channels that key timed DTMF (SendDTMF, `w` = half a second) once the IVR answers.
Every prompt is interruptible, so a key only has to land while the flow is listening: the timings below
leave seconds of margin either side (prompt lengths: `ivr_prompts/`, rendered at 160 words a minute).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.backbone import Backbone
from ccserver.bench.harness import wait_until
from ccserver.crm.customers import PhoneInput, create_customer
from ccserver.crm.database import session_factory
from ccserver.events.model import call_key
from ccserver.main import Ivr
from ccserver.sandbox.paths import sandbox_paths
from tests.e2e.switch import place_inbound_call, wait_call_row_ended

pytestmark = pytest.mark.sandbox

PROJECT_DIR = Path(__file__).resolve().parents[2]


def pause(seconds: float) -> str:
    return "w" * round(seconds * 2)


def keys(*steps: tuple[float, str]) -> str:
    """(seconds after the previous key, keys to press): a SendDTMF script. Each key takes ~0.5 s."""
    return "".join(pause(wait) + pressed for wait, pressed in steps)


@pytest.fixture(scope="module")
def flow_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's flows, with the `main` calendar always open (the clock is real), plus a copy of the
    inbound flow that is always closed."""
    directory = tmp_path_factory.mktemp("ivr")
    for source in (PROJECT_DIR / "dialplans" / "ivr").glob("*.yaml"):
        shutil.copy(source, directory / source.name)
    inbound = yaml.safe_load((directory / "inbound.yaml").read_text())
    inbound["calendars"]["main"]["weekly"] = {"mon-sun": "00:00-24:00"}
    inbound["calendars"]["main"]["holidays"] = []
    (directory / "inbound.yaml").write_text(yaml.safe_dump(inbound, sort_keys=False))
    inbound["flow"] = "inbound_closed"
    inbound["calendars"]["main"]["weekly"] = {}
    (directory / "inbound_closed.yaml").write_text(yaml.safe_dump(inbound, sort_keys=False))
    return directory


@pytest.fixture(scope="module")
async def ivr(backbone: Backbone, db_engine: AsyncEngine, flow_dir: Path) -> AsyncIterator[Ivr]:
    settings = backbone.settings.model_copy(
        update={"ivr_dir": flow_dir, "ivr_prompts_dir": PROJECT_DIR / "ivr_prompts"}
    )
    ivr = Ivr(settings, backbone, db_engine)
    assert ivr.flows.reload() == []
    await ivr.server.start()
    try:
        yield ivr
    finally:
        await ivr.server.close()


@dataclass
class Walked:
    linkedid: str
    call: asyncpg.Record
    session: dict[str, Any]  # the ivr_sessions row, JSON columns decoded
    events: list[asyncpg.Record]

    def kinds(self) -> list[str]:
        return [e["event"] for e in self.events]

    def detail(self, event: str) -> list[dict[str, Any]]:
        return [orjson.loads(e["raw"]) for e in self.events if e["event"] == event]


async def _customers(db_engine: AsyncEngine) -> None:
    async with session_factory(db_engine)() as session:
        for name, account, tier, language, phone in (
            ("José Martínez", "41002007", "standard", "es", "+1 415 555 0101"),
            ("Grace Hopper", "41003005", "vip", "en", "+1 415 555 0102"),
            ("Ada Lovelace", "41001009", "standard", "en", "+1 415 555 0103"),
        ):
            await create_customer(
                session=session, name=name, account_number=account, tier=tier, language=language,
                phones=[PhoneInput(number=phone)], default_region="US",
            )
        await session.commit()


async def _walked(dsn: str, linkedid: str) -> Walked:
    call = await wait_call_row_ended(dsn, linkedid, timeout=90)
    conn = await asyncpg.connect(dsn)
    try:
        session = await wait_until(
            lambda: conn.fetchrow(
                "SELECT * FROM ivr_sessions WHERE call_id = $1 AND ended_at IS NOT NULL", call["id"]
            ),
            timeout=10, what=f"the IVR session of {linkedid}", poll=0.1,
        )
        events = await conn.fetch(
            "SELECT * FROM call_events WHERE call_id = $1 AND event LIKE 'ccserver.Ivr%' ORDER BY id", call["id"]
        )
    finally:
        await conn.close()
    decoded = {k: orjson.loads(v) if k in ("path", "collected", "routing") else v for k, v in session.items()}
    return Walked(linkedid=linkedid, call=call, session=decoded, events=events)


# Prompt lengths that matter below (seconds): welcome 1.9, language_english 1.9, language_spanish 2.3,
# welcome_back 1.7-2.0, main menu 9.6 (en) / 11.6 (es), enter_account 3.9-4.5, account_invalid 2.3-2.6.
PLAN: dict[str, dict[str, Any]] = {
    # unknown caller: "2" during the language lines -> Spanish; "2" during the main menu -> support
    "spanish_support": dict(caller_id="<+14155550199>", keys=keys((3, "2"), (5, "2")), caller_stays=20),
    # known Spanish-speaking customer: no language menu; billing; a wrong account number, then the right one
    "billing_wrong_then_right_account": dict(
        caller_id='"Jose" <+14155550101>', caller_stays=40,
        keys=keys((3, "1"), (3, "41001008#"), (6, "41002007#")),
    ),
    # VIP customer asks for a callback
    "vip_callback": dict(caller_id="<+14155550102>", keys=keys((6, "3")), caller_stays=15),
    # a wrong key, then silence until the menu gives up once, then 0 for an agent
    "invalid_then_silence_then_agent": dict(
        caller_id="<+14155550103>", keys=keys((3, "9"), (24, "0")), caller_stays=20,
    ),
    # the caller hangs up in the middle of the language menu
    "hangs_up_mid_menu": dict(caller_id="<+14155550198>", keys=keys((1, "")), caller_stays=4),
    # closed: the after-hours options; 1 leaves a message (after the prompt and the beep), ended with #
    "after_hours_message": dict(
        caller_id="<+14155550197>", flow="inbound_closed", keys=keys((3, "1"), (1, "1"), (5, "")),
        says="ccserver/goodbye", keys_after="#", caller_stays=6,
    ),
}


@pytest.fixture(scope="module")
async def walked(ivr: Ivr, backbone: Backbone, db_engine: AsyncEngine, asyncpg_dsn: str) -> dict[str, Walked]:
    await _customers(db_engine)
    link = backbone.switches["sandbox"].link
    linkedids = await asyncio.gather(
        *(place_inbound_call(link, did="20103", fallback_timeout=10, **kw) for kw in PLAN.values())
    )
    results = await asyncio.gather(*(_walked(asyncpg_dsn, linkedid) for linkedid in linkedids))
    return dict(zip(PLAN, results, strict=True))


def _in_order(path: list[str], expected: list[str]) -> bool:
    remaining = iter(path)
    return all(node in remaining for node in expected)


async def test_unknown_caller_picks_spanish_then_support(walked: dict[str, Walked]) -> None:
    w = walked["spanish_support"]
    assert w.session["outcome"] == "handoff"
    assert w.session["language"] == "es"
    assert w.session["routing"] == {"queue": "support", "skills": {"technical": 3}, "priority": 0, "language": "es"}
    expected = ["inbound:find_caller", "inbound:welcome", "inbound:main_menu", "inbound:support"]
    assert _in_order(w.session["path"], expected)
    assert w.session["customer_id"] is None
    assert [d["Language"] for d in w.detail("ccserver.IvrLanguageSet")][-1] == "es"


async def test_spanish_customer_skips_the_language_menu_and_gets_a_second_try_at_the_account(
    walked: dict[str, Walked],
) -> None:
    w = walked["billing_wrong_then_right_account"]
    path = w.session["path"]
    assert "inbound:language_menu" not in path and "inbound:welcome_back" in path
    assert w.session["language"] == "es"
    assert len(w.detail("ccserver.IvrInvalidInput")) == 1
    assert w.session["collected"]["account"] == "41002007"
    assert w.session["routing"]["queue"] == "billing" and w.session["routing"]["skills"] == {"billing": 5}
    assert w.session["outcome"] == "handoff"
    assert w.session["customer_id"] == w.call["customer_id"]  # found by caller id and by account alike
    lookups = w.detail("ccserver.IvrLookup")
    assert [d.get("Found") for d in lookups] == ["True", "True"]


async def test_vip_callback_request_keeps_priority_and_number(walked: dict[str, Walked]) -> None:
    w = walked["vip_callback"]
    assert w.session["outcome"] == "callback"
    assert w.session["routing"]["priority"] == 10
    assert w.session["callback_number"] == "+14155550102"
    assert "inbound:priority_notice" in w.session["path"]


async def test_wrong_key_and_silence_are_recorded_then_the_caller_reaches_an_agent(walked: dict[str, Walked]) -> None:
    w = walked["invalid_then_silence_then_agent"]
    assert len(w.detail("ccserver.IvrInvalidInput")) == 1
    assert len(w.detail("ccserver.IvrNoInput")) >= 1
    assert w.session["routing"]["queue"] == "general"
    assert w.session["outcome"] == "handoff"
    assert "9" in [d.get("Digits") for d in w.detail("ccserver.IvrDigits")]


async def test_hang_up_mid_menu_is_an_abandon_with_the_path_so_far(walked: dict[str, Walked]) -> None:
    w = walked["hangs_up_mid_menu"]
    assert w.session["outcome"] == "abandoned"
    assert w.session["path"][:2] == ["inbound:find_caller", "inbound:welcome"]
    assert w.call["state"] == "ended"
    assert w.kinds()[-1] == "ccserver.IvrEnded"


async def test_after_hours_caller_leaves_a_message_stored_on_the_switch(walked: dict[str, Walked]) -> None:
    w = walked["after_hours_message"]
    assert w.session["outcome"] == "voicemail"
    assert any(node.startswith("after_hours:") for node in w.session["path"])
    message = w.session["message_path"]
    assert message and message.endswith(".wav")
    assert (sandbox_paths().rootfs / message.lstrip("/")).stat().st_size > 44  # more than a WAV header


async def test_the_ivr_path_is_on_the_call_over_rest(
    walked: dict[str, Walked], db_engine: AsyncEngine, backbone: Backbone,
    api_key_factory: Callable[[str], Awaitable[str]],
) -> None:
    w = walked["billing_wrong_then_right_account"]
    app = create_app(settings=backbone.settings, engine=db_engine)
    headers = {"Authorization": f"Bearer {await api_key_factory('supervisor')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        call = (await client.get(f"/api/v1/calls/{w.call['id']}", headers=headers)).json()
        events = (await client.get(f"/api/v1/calls/{w.call['id']}/events?limit=500", headers=headers)).json()
    assert call["ivr_path"] == w.session["path"]
    assert call["ivr_sessions"][-1]["collected"] == {"account": "41002007"}
    assert call["ivr_sessions"][-1]["routing"]["queue"] == "billing"
    timeline = [e["event"] for e in events["items"]]
    assert timeline.index("ccserver.IvrStarted") < timeline.index("ccserver.IvrEnded")
    assert "Newchannel" in timeline  # the AMI events and the IVR's are one timeline


async def test_an_edited_flow_reaches_new_calls_while_a_call_in_progress_finishes_on_its_version(
    ivr: Ivr, backbone: Backbone, flow_dir: Path, asyncpg_dsn: str,
) -> None:
    link = backbone.switches["sandbox"].link
    flow_file = flow_dir / "inbound.yaml"
    original = flow_file.read_text()
    before = ivr.flows.snapshot().version_of("inbound")
    walk = dict(keys=keys((3, "2"), (5, "2")), caller_stays=20, did="20103")  # Spanish, then support
    first = await place_inbound_call(link, caller_id="<+14155550195>", **walk)
    conn = await asyncpg.connect(asyncpg_dsn)
    try:
        await wait_until(
            lambda: conn.fetchval(
                "SELECT 1 FROM call_events WHERE call_id = $1 AND event = 'ccserver.IvrNodeEntered'",
                call_key("sandbox", first),
            ),
            timeout=15, what="the first call to enter the IVR", poll=0.1,
        )
        edited = yaml.safe_load(original)
        edited["nodes"]["support"]["queue"] = "support_tier2"
        flow_file.write_text(yaml.safe_dump(edited, sort_keys=False))
        assert ivr.flows.reload() == []
        after = ivr.flows.snapshot().version_of("inbound")
        second = await place_inbound_call(link, caller_id="<+14155550194>", **walk)
        walks = [await _walked(asyncpg_dsn, linkedid) for linkedid in (first, second)]
    finally:
        await conn.close()
        flow_file.write_text(original)
        ivr.flows.reload()
    assert after != before
    assert (walks[0].session["flow_version"], walks[0].session["routing"]["queue"]) == (before, "support")
    assert (walks[1].session["flow_version"], walks[1].session["routing"]["queue"]) == (after, "support_tier2")


async def test_ccserver_stopping_mid_flow_hands_the_caller_to_the_fallback(
    ivr: Ivr, backbone: Backbone, asyncpg_dsn: str,
) -> None:
    link = backbone.switches["sandbox"].link
    linkedid = await place_inbound_call(link, did="20102", caller_id="<+14155550196>", keys=keys((1, "")),
                                        caller_stays=20)
    conn = await asyncpg.connect(asyncpg_dsn)
    try:
        await wait_until(
            lambda: conn.fetchval(
                "SELECT 1 FROM call_events WHERE call_id = $1 AND event = 'ccserver.IvrNodeEntered'",
                call_key("sandbox", linkedid),
            ),
            timeout=15, what="the IVR to start", poll=0.1,
        )
        await ivr.server.close()  # ccserver goes away mid-flow
        call = await wait_call_row_ended(asyncpg_dsn, linkedid, timeout=60)
        legs = await conn.fetch("SELECT * FROM legs WHERE call_id = $1", call["id"])
        outcome = await conn.fetchval("SELECT outcome FROM ivr_sessions WHERE call_id = $1", call["id"])
    finally:
        await conn.close()
        await ivr.server.start()
    fallback = [g for g in legs if g["role"] == "dialed" and "sim-callee" in g["channel"]]
    assert fallback and fallback[0]["answered_at"] is not None  # a human (the callee simulator) took it
    assert outcome == "interrupted"

