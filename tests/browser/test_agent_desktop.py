"""The agent desktop (/agent) in a real headless Chromium, against the real app and a real `AgentFeed`:
signing in with the softphone's extension and password, changing state, a call popping the moment it is
offered and filling in with the customer, the IVR path and open cases, the wrap-up that saves a
disposition and a case, and a dropped stream that resumes without losing or repeating anything.

The frames come from the ACD's own desktop listener (`Desktop`) or straight from the feed, as the ACD
publishes them; the whole path from a real call is tests/e2e/test_desktop.py."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from browser_tools import LiveServer, ServeApp, screenshot
from contact_center import PASSWORD, a_known_caller, a_reason, an_agent, ivr_pass, sign_in_at_the_desk
from playwright.async_api import Page, WebSocket, expect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ccserver.api.app import create_app
from ccserver.crm.agents import Agent, create_agent_api_key, get_agent
from ccserver.crm.cases import CaseFilters, list_cases
from ccserver.crm.database import session_factory
from ccserver.crm.dispositions import list_call_dispositions
from ccserver.desktop.feed import AgentFeed
from ccserver.desktop.service import Desktop, open_cases, recent_calls
from ccserver.settings import Settings

SOON = 5_000  # ms: what the page shows, it shows at once
AFTER_A_BLIP = 15_000  # ms: reconnecting pauses 0.5 s, then 1 s, 2 s ...


@dataclass
class Desk:
    server: LiveServer
    feed: AgentFeed
    sessions: async_sessionmaker[AsyncSession]
    agent: Agent
    reason: str

    @property
    def agent_id(self) -> str:
        return str(self.agent.id)


@pytest.fixture
async def desk(serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine) -> Desk:
    feed = AgentFeed()
    server = await serve(create_app(settings=test_settings, engine=db_engine, agent_feed=feed))
    sessions = session_factory(db_engine)
    return Desk(server, feed, sessions, await an_agent(sessions), await a_reason(sessions))


async def sign_in(page: Page, desk: Desk) -> None:
    await sign_in_at_the_desk(page, desk.server.url, desk.agent)


async def test_a_wrong_password_and_an_unknown_extension_get_the_same_refusal(page: Page, desk: Desk) -> None:
    await page.goto(f"{desk.server.url}/agent")
    await page.get_by_test_id("signin-extension").fill(desk.agent.extension)
    await page.get_by_test_id("signin-password").fill("not-the-password")
    await page.get_by_test_id("signin-submit").click()
    await expect(page.get_by_test_id("signin-error")).to_have_text("Unknown extension or wrong password.")
    await screenshot(page, "agent-1-sign-in-refused")

    await page.get_by_test_id("signin-extension").fill("999")
    await page.get_by_test_id("signin-password").fill(PASSWORD)
    await page.get_by_test_id("signin-submit").click()

    await expect(page.get_by_test_id("signin-error")).to_have_text("Unknown extension or wrong password.")
    await expect(page.get_by_test_id("agent-name")).to_have_text("")
    assert await page.evaluate("sessionStorage.length") == 0


async def test_agent_signs_in_with_extension_and_password_then_goes_ready_and_not_ready_by_keyboard(
    page: Page, desk: Desk
) -> None:
    await sign_in(page, desk)
    await expect(page.get_by_test_id("state")).to_have_text("Logged out")
    await screenshot(page, "agent-2-signed-in")

    await page.get_by_test_id("btn-ready").click()
    await expect(page.get_by_test_id("state")).to_have_text("Ready")
    async with desk.sessions() as session:
        assert (await get_agent(session=session, agent_id=desk.agent.id)).state.state == "ready"

    await page.get_by_test_id("reason-select").select_option(desk.reason)
    await page.keyboard.press("Alt+n")  # accesskey of "Not ready"

    await expect(page.get_by_test_id("state")).to_have_text("Not ready · Coffee break")
    await expect(page.get_by_test_id("state-timer")).to_have_text("0:00")
    async with desk.sessions() as session:
        state = (await get_agent(session=session, agent_id=desk.agent.id)).state
    assert (state.state, state.reason) == ("not_ready", desk.reason)
    await page.keyboard.press("Alt+r")
    await expect(page.get_by_test_id("state")).to_have_text("Ready")


async def test_an_offered_call_pops_at_once_fills_in_and_wraps_up_with_a_disposition_and_a_case(
    page: Page, desk: Desk
) -> None:
    caller = await a_known_caller(desk.sessions)
    call_id = uuid.uuid4()
    ivr = ivr_pass(call_id, caller)
    acd_desktop = Desktop(
        feed=desk.feed, sessions=desk.sessions, default_region="US",
        ivr_session=lambda asked: ivr if asked == call_id else None, history=recent_calls, cases=open_cases,
    )
    await sign_in(page, desk)
    await page.get_by_test_id("btn-ready").click()
    await expect(page.get_by_test_id("state")).to_have_text("Ready")
    call = str(call_id)

    now = time.time()
    acd_desktop("state", {"agent_id": desk.agent_id, "state": "reserved", "reason": None, "since": now,
                          "call_id": call, "pending": None, "wrapup_until": None})
    acd_desktop("offer", {
        "agent_id": desk.agent_id, "call_id": call, "queue": "billing", "callback": False, "switch_id": "pbx1",
        "linkedid": ivr.linkedid, "caller_number": caller.phone, "caller_name": "HAMILTON MARGARET",
        "callback_number": None, "enqueued_at": now - 42, "language": "en",
    })

    await expect(page.get_by_test_id("pop-caller")).to_have_text("HAMILTON MARGARET", timeout=SOON)
    await expect(page.get_by_test_id("pop-number")).to_have_text(caller.phone)
    await expect(page.get_by_test_id("pop-meta")).to_contain_text("Queue billing · waited 0:4")
    await expect(page.get_by_test_id("state")).to_have_text("Ringing")
    await expect(page.get_by_test_id("pop-customer-name")).to_have_text("Margaret Hamilton", timeout=SOON)
    await expect(page.get_by_test_id("pop-customer-facts")).to_contain_text("AC-1042")
    await expect(page.get_by_test_id("pop-customer-facts")).to_contain_text("gold")
    await expect(page.get_by_test_id("pop-ivr-path").locator("li")).to_have_text(ivr.path)
    await expect(page.get_by_test_id("pop-collected")).to_contain_text("account numberAC-1042")
    await expect(page.get_by_test_id("pop-cases")).to_contain_text(caller.case_subject)
    await expect(page.get_by_test_id("pop-history")).to_contain_text("Resolved: Refund issued")
    await screenshot(page, "agent-3-screen-pop")

    acd_desktop("answered", {"agent_id": desk.agent_id, "call_id": call, "at": time.time()})
    acd_desktop("state", {"agent_id": desk.agent_id, "state": "on_call", "reason": None, "since": time.time(),
                          "call_id": call, "pending": None, "wrapup_until": None})
    await expect(page.get_by_test_id("pop-status")).to_have_text("On the call")
    await page.get_by_test_id("call-notes").fill("Disputes the March invoice; wants it split.")
    await expect(page.get_by_test_id("call-timer")).to_have_text("0:01", timeout=SOON)
    await screenshot(page, "agent-4-on-call")

    acd_desktop("ended", {"agent_id": desk.agent_id, "call_id": call, "queue": "billing", "talk_s": 95.0})
    acd_desktop("state", {"agent_id": desk.agent_id, "state": "wrap_up", "reason": None, "since": time.time(),
                          "call_id": call, "pending": None, "wrapup_until": time.time() + 60})
    await expect(page.get_by_test_id("wrapup")).to_be_visible()
    await expect(page.get_by_test_id("wrapup-notes")).to_have_value("Disputes the March invoice; wants it split.")
    await expect(page.get_by_test_id("case-for")).to_have_text("For Margaret Hamilton, on this call.")
    await expect(page.get_by_test_id("state-timer")).to_contain_text("left")
    await expect(page.get_by_test_id("disposition")).to_be_focused()
    await page.get_by_test_id("disposition").select_option("follow_up")
    await page.get_by_test_id("case-subject").fill("March invoice disputed")
    await screenshot(page, "agent-5-wrap-up")
    await page.get_by_test_id("case-subject").press("Enter")  # "Done, ready"

    await expect(page.get_by_test_id("pop")).to_be_hidden()
    await expect(page.get_by_test_id("message")).to_have_text("Call wrapped up; case opened.")
    await expect(page.get_by_test_id("state")).to_have_text("Ready")
    async with desk.sessions() as session:
        dispositions = await list_call_dispositions(session=session, call_id=call_id)
        cases = (await list_cases(session=session, filters=CaseFilters(call_id=call_id), limit=5)).items
    assert [(d.code, d.agent_id, d.notes) for d in dispositions] == [
        ("follow_up", desk.agent.id, "Disputes the March invoice; wants it split.")
    ]
    assert [(c.subject, c.customer_id, c.created_by, c.status) for c in cases] == [
        ("March invoice disputed", caller.customer.id, f"agent:{desk.agent.id}", "open")
    ]
    await acd_desktop.close()


async def test_a_withdrawn_offer_clears_the_pop(page: Page, desk: Desk) -> None:
    await sign_in(page, desk)
    offer = {"call_id": str(uuid.uuid4()), "queue": "sales", "callback": False, "caller_number": "+12125550123",
             "caller_name": None, "enqueued_at": time.time(), "language": "en", "linkedid": "1.2"}
    desk.feed.publish(desk.agent_id, "offer", offer)
    await expect(page.get_by_test_id("pop-caller")).to_have_text("+12125550123")

    desk.feed.publish(desk.agent_id, "withdrawn", {"call_id": offer["call_id"], "reason": "ring no answer"})

    await expect(page.get_by_test_id("pop")).to_be_hidden()
    await expect(page.get_by_test_id("message")).to_have_text("The call went elsewhere: ring no answer.")


async def test_a_dropped_stream_resumes_after_the_last_message_without_losing_or_repeating_any(
    page: Page, desk: Desk
) -> None:
    sockets: list[tuple[str, list[dict[str, Any]]]] = []

    def watch(socket: WebSocket) -> None:
        frames: list[dict[str, Any]] = []
        sockets.append((socket.url, frames))
        socket.on("framereceived", lambda payload: frames.append(json.loads(payload)))

    page.on("websocket", watch)
    async with desk.sessions() as session:  # this time with an API key, the desktop's other way in
        _, key = await create_agent_api_key(session=session, agent_id=desk.agent.id, name="desktop test")
    await page.goto(f"{desk.server.url}/agent")
    await page.get_by_text("Sign in with an API key instead").click()
    await page.get_by_test_id("key-agent-id").fill(desk.agent_id)
    await page.get_by_test_id("key-key").fill(key)
    await page.get_by_test_id("key-submit").click()
    await expect(page.get_by_test_id("connection")).to_have_text("live")
    desk.feed.publish(desk.agent_id, "state", {"state": "ready", "reason": None, "since": time.time(),
                                               "call_id": None, "pending": None, "wrapup_until": None})
    await expect(page.get_by_test_id("state")).to_have_text("Ready")

    await desk.server.stop()  # ccserver's HTTP side goes away for a moment: the page keeps trying
    await expect(page.get_by_test_id("connection")).not_to_have_text("live")
    call = str(uuid.uuid4())
    desk.feed.publish(desk.agent_id, "offer", {"call_id": call, "queue": "billing", "callback": False,
                                               "caller_number": "+12125550199", "caller_name": "ADA KING",
                                               "enqueued_at": time.time(), "language": "en", "linkedid": "9.9"})
    desk.feed.publish(desk.agent_id, "screenpop", {"call_id": call, "customer": None, "ivr": None, "history": [],
                                                   "open_cases": []})
    await desk.server.start()

    await expect(page.get_by_test_id("pop-caller")).to_have_text("ADA KING", timeout=AFTER_A_BLIP)
    await expect(page.get_by_test_id("pop-customer-name")).to_have_text("Not a known customer")
    await expect(page.get_by_test_id("connection")).to_have_text("live")
    urls = [url for url, _ in sockets]
    assert len(urls) >= 2 and urls[-1].endswith(f"&epoch={desk.feed.epoch}&after=1"), urls
    seen = [(f["kind"], f["seq"]) for _, frames in sockets for f in frames if f["kind"] != "heartbeat"]
    assert seen == [("snapshot", 0), ("state", 1), ("offer", 2), ("screenpop", 3)]
    await screenshot(page, "agent-6-after-reconnect")
