"""Transferring the caller from the agent desktop (/agent) in a real headless Chromium: while the call is
connected the desk offers a transfer to a queue (from the configured queues) or to another agent's
extension; the page asks `POST /api/v1/agents/{id}/transfer`, says what happened, and the call leaves the
desk when the ACD reports it ended. The running ACD is a stand-in over a real routing engine
(contact_center.CenterDesk) that records what it was asked; the real transfer on the switch is
tests/e2e/test_desktop.py."""

from __future__ import annotations

import time

from browser_tools import ServeApp, screenshot
from contact_center import a_call_in_hand, an_agent, sign_in_at_the_desk, unique
from playwright.async_api import Page, expect
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.crm.agents import Agent
from ccserver.crm.database import session_factory
from ccserver.crm.tables import queues
from ccserver.desktop.feed import AgentFeed
from ccserver.settings import Settings


async def a_queue(engine: AsyncEngine, prefix: str) -> str:
    name = unique(prefix)
    async with engine.begin() as conn:
        await conn.execute(insert(queues).values(name=name))
    return name


def offer_and_answer(feed: AgentFeed, agent: Agent, call_id: str, queue: str) -> None:
    agent_id = str(agent.id)
    feed.publish(agent_id, "offer", {"call_id": call_id, "queue": queue, "callback": False,
                                     "caller_number": "+12125550177", "caller_name": "LIN WEI",
                                     "enqueued_at": time.time() - 50, "language": "en", "linkedid": "7.7"})
    feed.publish(agent_id, "answered", {"call_id": call_id, "at": time.time() - 40})


async def test_agent_transfers_the_caller_to_a_queue_and_the_call_leaves_the_desk(
    page: Page, serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine
) -> None:
    billing, sales = await a_queue(db_engine, "billing"), await a_queue(db_engine, "sales")
    agent = await an_agent(session_factory(db_engine), "Rosa Diaz")
    acd, call_id = a_call_in_hand(agent, [billing, sales])
    feed = AgentFeed()
    server = await serve(create_app(settings=test_settings, engine=db_engine, live_acd=acd, agent_feed=feed))
    await sign_in_at_the_desk(page, server.url, agent)
    await expect(page.get_by_test_id("transfer")).to_be_hidden()  # no call, nothing to transfer

    offer_and_answer(feed, agent, call_id, billing)

    await expect(page.get_by_test_id("pop-status")).to_have_text("On the call")
    await expect(page.get_by_test_id("transfer")).to_be_visible()
    await page.get_by_test_id("transfer-extension").fill("1002")
    await page.get_by_test_id("transfer-queue").select_option(sales)  # a queue after all: the extension clears
    await expect(page.get_by_test_id("transfer-extension")).to_have_value("")
    await screenshot(page, "agent-7-transfer")
    await page.get_by_test_id("transfer-submit").click()

    await expect(page.get_by_test_id("message")).to_have_text(f"Transferred to queue {sales}.")
    assert [(a.what, a.agent_id, a.details["queue"], a.details["extension"]) for a in acd.asked] == [
        ("transfer", str(agent.id), sales, None)
    ]
    assert str(acd.asked[0].details["by"]).startswith("desktop session ")  # the agent's own desktop key

    feed.publish(str(agent.id), "ended", {"agent_id": str(agent.id), "call_id": call_id, "queue": billing,
                                          "talk_s": 52.0})
    await expect(page.get_by_test_id("wrapup")).to_be_visible()
    await expect(page.get_by_test_id("transfer")).to_be_hidden()
    await screenshot(page, "agent-8-after-transfer")


async def test_a_transfer_that_cannot_be_made_says_why_and_asks_nothing_of_the_switch(
    page: Page, serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine
) -> None:
    billing, unrouted = await a_queue(db_engine, "billing"), await a_queue(db_engine, "new")
    agent = await an_agent(session_factory(db_engine), "Rosa Diaz")
    acd, call_id = a_call_in_hand(agent, [billing], answered=False)  # the caller hung up a moment ago
    feed = AgentFeed()
    server = await serve(create_app(settings=test_settings, engine=db_engine, live_acd=acd, agent_feed=feed))
    await sign_in_at_the_desk(page, server.url, agent)
    offer_and_answer(feed, agent, call_id, billing)  # ... and the desk has not heard yet
    await expect(page.get_by_test_id("transfer")).to_be_visible()

    await page.keyboard.press("Alt+t")  # nothing chosen yet
    await expect(page.get_by_test_id("message")).to_have_text(
        "Choose a queue or type an agent's extension to transfer to.")
    await expect(page.get_by_test_id("transfer-queue")).to_be_focused()

    await page.get_by_test_id("transfer-extension").fill("1002")
    await page.keyboard.press("Alt+t")
    await expect(page.get_by_test_id("message")).to_have_text(
        "The transfer to extension 1002 did not go through: the agent is ready, not on a call")

    await page.get_by_test_id("transfer-queue").select_option(unrouted)  # configured, not loaded by the ACD yet
    await page.get_by_test_id("transfer-submit").click()
    await expect(page.get_by_test_id("message")).to_contain_text(
        f"The transfer to queue {unrouted} did not go through: ")
    await expect(page.get_by_test_id("message")).to_contain_text(f"queue: no queue '{unrouted}'")
    assert acd.asked == []
