"""The supervisor's wallboard (/wallboard) in a real headless Chromium, against the real app with a routing
engine standing in for the running ACD: a tile per queue with its service level coloured against target,
the logged-in agents with their time in state, today's calls per hour, and a refused key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from acd_events import AcdEvents
from browser_tools import ServeApp, screenshot
from contact_center import busy_center
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.crm.acd_stats import start_of_day
from ccserver.settings import Settings

ApiKeyFactory = Callable[[str], Awaitable[str]]


async def test_wallboard_shows_each_queue_every_agent_and_todays_calls_by_hour(
    page: Page, serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine, api_key_factory: ApiKeyFactory,
    acd_events: AcdEvents,
) -> None:
    center = busy_center()
    now = datetime.now(UTC)
    today = max(now - timedelta(minutes=20), start_of_day(now) + timedelta(seconds=1))
    for queue, offered in ((center.billing, 4), (center.sales, 4)):
        for _ in range(offered):
            await acd_events.add("Queued", today, Queue=queue)
    for waited in ("4.000", "12.000", "35.000"):  # billing: 2 of 4 within 20 s, 1 abandoned -> 50 %
        await acd_events.add("Answered", today, Queue=center.billing, WaitedS=waited, AgentId="a-ann")
    await acd_events.add("Left", today, Queue=center.billing, WaitedS="61.000", Reason="abandoned")
    for _ in range(4):  # sales: all within 30 s -> 100 %
        await acd_events.add("Answered", today, Queue=center.sales, WaitedS="9.000", AgentId="a-dee")
    server = await serve(create_app(settings=test_settings, engine=db_engine, live_acd=center.desk))
    key = await api_key_factory("supervisor")

    await page.goto(f"{server.url}/wallboard?key={key}")

    billing = page.locator(f'[data-queue="{center.billing}"]')
    await expect(billing.get_by_test_id("queue-waiting")).to_contain_text("2Waiting+1 callback")
    await expect(billing.get_by_test_id("queue-longest")).to_contain_text("0:4")  # 48 s and counting
    await expect(billing.get_by_test_id("queue-sl")).to_contain_text("50%Service leveltarget 80% in 20 s")
    await expect(billing.get_by_test_id("queue-abandon")).to_contain_text("25%Abandoned1 of 4")
    await expect(billing).to_have_class("tile sl-bad")
    await expect(billing.get_by_test_id("queue-today")).to_have_text("Today: 4 offered · 3 answered · ASA 0:17")
    await expect(billing.get_by_test_id("queue-agents").locator(".chip")).to_have_text(
        ["0 ready", "1 ringing", "1 on call", "0 wrap-up", "1 not ready"])
    sales = page.locator(f'[data-queue="{center.sales}"]')
    await expect(sales.get_by_test_id("queue-sl")).to_contain_text("100%")
    await expect(sales).to_have_class("tile sl-good")
    await expect(page.locator(f'[data-queue="{center.support}"]').get_by_test_id("queue-sl")).to_contain_text("—")

    rows = page.get_by_test_id("agent-row")
    await expect(rows).to_have_count(5)
    await expect(rows.nth(0)).to_contain_text("Ann Lee2001On call6:3")  # on the call for 6:32
    await expect(rows.nth(1)).to_contain_text("Bob Stone2002Not ready25:0")
    await expect(rows.nth(1)).to_contain_text("lunch")
    await expect(page.get_by_test_id("agent-count")).to_have_text("5 logged in")
    bars = page.get_by_test_id("bar")
    await expect(bars).to_have_count(24)
    hour = bars.nth(today.hour)
    assert int(await hour.get_attribute("data-answered") or 0) >= 7  # other tests' calls count too
    assert int(await hour.get_attribute("data-abandoned") or 0) >= 1
    assert "key=" not in page.url  # kept for the tab, not left in the address bar and history
    await expect(page.get_by_test_id("connection")).to_have_text("live")
    await screenshot(page, "wallboard-1-live")


async def test_a_key_that_may_not_read_the_wallboard_is_turned_away(
    page: Page, serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine, api_key_factory: ApiKeyFactory,
) -> None:
    center = busy_center()
    server = await serve(create_app(settings=test_settings, engine=db_engine, live_acd=center.desk))
    await page.goto(f"{server.url}/wallboard")
    await page.get_by_test_id("signin-key").fill(await api_key_factory("agent"))
    await page.get_by_test_id("signin-key").press("Enter")

    await expect(page.get_by_test_id("signin-error")).to_have_text(
        "The key was refused: the agent role may not read the wallboard.")
    await expect(page.get_by_test_id("queues")).to_be_hidden()
    await screenshot(page, "wallboard-2-refused")
