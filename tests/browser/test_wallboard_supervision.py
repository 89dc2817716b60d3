"""The supervisor's actions on the wallboard's agent grid, in a real headless Chromium: listen, whisper and
barge on an agent's call from the supervisor's own phone (asked once, kept for the tab), and forcing an
agent's state from the row's menu, by mouse and by keyboard. The running ACD is a stand-in over a real
routing engine (contact_center.CenterDesk): states change in the engine as the ACD changes them, and a
monitor is only recorded; the real ChanSpy on the switch is tests/e2e/test_acd.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from browser_tools import ServeApp, screenshot
from contact_center import Center, a_reason, busy_center
from playwright.async_api import Locator, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.crm.database import session_factory
from ccserver.routing.engine import DEFAULT_REASON_CODES
from ccserver.settings import Settings

ApiKeyFactory = Callable[[str], Awaitable[str]]


async def open_wallboard(
    page: Page, serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine, api_key_factory: ApiKeyFactory,
) -> Center:
    center = busy_center()
    server = await serve(create_app(settings=test_settings, engine=db_engine, live_acd=center.desk))
    await page.goto(f"{server.url}/wallboard?key={await api_key_factory('supervisor')}")
    await expect(page.get_by_test_id("agent-row")).to_have_count(5)
    return center


def row(page: Page, center: Center, name: str) -> Locator:
    return page.locator(f'[data-agent-id="{center.agent_ids[name]}"]')


async def test_supervisor_listens_then_whispers_by_keyboard_and_cannot_barge_on_an_agent_without_a_call(
    page: Page, serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine, api_key_factory: ApiKeyFactory,
) -> None:
    center = await open_wallboard(page, serve, test_settings, db_engine, api_key_factory)
    ann, bob = row(page, center, "ann"), row(page, center, "bob")
    await expect(page.get_by_test_id("phone-button")).to_have_text("Set your phone")

    await ann.get_by_test_id("monitor-listen").click()  # asks for the supervisor's phone first
    await expect(page.get_by_test_id("phone-dialog")).to_be_visible()
    await page.keyboard.press("Escape")  # changed their mind: nothing is asked
    await expect(page.get_by_test_id("phone-dialog")).to_be_hidden()
    await ann.get_by_test_id("monitor-listen").click()
    await page.get_by_test_id("phone-extension").fill("1900")
    await screenshot(page, "wallboard-3-your-phone")
    await page.get_by_test_id("phone-extension").press("Enter")

    await expect(page.get_by_test_id("message")).to_have_text(
        "Listening in on Ann Lee's call: your phone (1900) rings now.")
    await expect(page.get_by_test_id("phone-button")).to_have_text("Your phone: 1900")
    await ann.get_by_test_id("monitor-listen").focus()
    await page.keyboard.press("Tab")
    await expect(ann.get_by_test_id("monitor-whisper")).to_be_focused()
    await page.wait_for_timeout(1500)  # the board is pushed each second: the row and its focus stay
    await expect(ann.get_by_test_id("monitor-whisper")).to_be_focused()
    await page.keyboard.press("Enter")  # the phone is remembered: no question this time
    await expect(page.get_by_test_id("message")).to_have_text(
        "Whispering to the agent on Ann Lee's call: your phone (1900) rings now.")

    await bob.get_by_test_id("monitor-barge").click()
    await expect(page.get_by_test_id("message")).to_have_text(
        "Could not barge into Bob Stone's call: the agent is not_ready, not on a call")

    ann_id = center.agent_ids["ann"]
    assert [(a.what, a.agent_id, a.details) for a in center.desk.asked] == [
        ("monitor", ann_id, {"mode": "listen", "extension": "1900", "by": "test supervisor"}),
        ("monitor", ann_id, {"mode": "whisper", "extension": "1900", "by": "test supervisor"}),
    ]
    await screenshot(page, "wallboard-4-supervising")


async def test_supervisor_forces_agents_ready_not_ready_and_logged_out_from_the_row_menu(
    page: Page, serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine, api_key_factory: ApiKeyFactory,
) -> None:
    huddle = await a_reason(session_factory(db_engine), "Team huddle")
    center = await open_wallboard(page, serve, test_settings, db_engine, api_key_factory)
    center.desk.engine.set_reason_codes(DEFAULT_REASON_CODES | {huddle})
    bob, eve, ann = row(page, center, "bob"), row(page, center, "eve"), row(page, center, "ann")

    await bob.get_by_test_id("force-state").locator("summary").focus()
    await page.keyboard.press("Enter")  # opens the menu
    choices = bob.get_by_test_id("force-choice")
    await expect(choices.first).to_have_text("Ready")
    await expect(choices.last).to_have_text("Log out")
    await expect(bob.locator(f'[data-reason="{huddle}"]')).to_have_text("Not ready · Team huddle")
    await screenshot(page, "wallboard-5-force-state-menu")
    await page.keyboard.press("Tab")
    await expect(choices.first).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(page.get_by_test_id("message")).to_have_text(  # a billing caller was waiting for him
        "Bob Stone was made ready and is now ringing.")
    await expect(bob.locator(".badge")).to_have_text("Ringing")
    await expect(choices.first).to_be_hidden()  # the menu closed

    await eve.get_by_test_id("force-state").locator("summary").click()
    await eve.locator(f'[data-reason="{huddle}"]').click()
    await expect(page.get_by_test_id("message")).to_have_text("Eve Adams is now not ready.")
    await expect(eve.locator(".badge")).to_have_text("Not ready")
    await expect(eve.locator("td.reason")).to_have_text("Team huddle")

    await ann.get_by_test_id("force-state").locator("summary").click()
    await ann.get_by_test_id("force-choice").filter(has_text="Log out").click()
    await expect(page.get_by_test_id("message")).to_have_text(
        "Ann Lee: logged out once the call and its wrap-up are over.")
    await expect(ann.locator(".badge")).to_have_text("On call")  # she keeps her caller

    assert [(a.what, a.agent_id, a.details) for a in center.desk.asked] == [
        ("state", center.agent_ids["bob"], {"state": "ready", "reason": None, "source": "supervisor"}),
        ("state", center.agent_ids["eve"], {"state": "not_ready", "reason": huddle, "source": "supervisor"}),
        ("state", center.agent_ids["ann"], {"state": "logged_out", "reason": None, "source": "supervisor"}),
    ]
    assert center.desk.engine.status(center.agent_ids["ann"]).pending == "logout"
    await screenshot(page, "wallboard-6-forced")
