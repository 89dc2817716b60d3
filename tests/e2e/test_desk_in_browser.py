"""The whole path in a real browser: an agent signs in to /agent in headless Chromium with the softphone's
extension and password and goes ready; a caller dials in on the real sandbox switch, keys an account
number in the IVR and queues; the agent's page pops the right customer and IVR path; after the call the
agent sets a disposition and opens a case; the wallboard page and the KPIs show the call.
Screenshots: artifacts/screenshots/e2e-*.png. Fixtures: tests/e2e/acd_env.py, tests/browser/chromium.py."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from ccserver.crm.cases import create_case
from ccserver.crm.customers import PhoneInput, create_customer
from ccserver.crm.database import session_factory
from ccserver.events.model import call_key
from tests.e2e.acd_env import Env, sim_agent, wait_events
from tests.e2e.switch import place_inbound_call

pytestmark = [pytest.mark.sandbox, pytest.mark.usefixtures("everyone_logged_out")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CALLER_NUMBER = "+14155550171"
SOON = 20_000  # ms


async def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"e2e-{name}.png"), full_page=True)


async def test_a_real_call_pops_on_the_agent_s_page_and_its_wrap_up_lands_in_the_crm(
    env: Env, served: str, page: Page, browser: Browser,
) -> None:
    async with session_factory(env.db_engine)() as session:
        customer = await create_customer(
            session=session, name="Rosa Browser", account_number=f"RB{uuid.uuid4().hex[:8]}", tier="vip",
            language="en", default_region="US", phones=[PhoneInput(CALLER_NUMBER, "mobile")],
        )
        await create_case(session=session, subject="Bill shows a double charge", customer_id=customer.id,
                          created_by="e2e")
    await sim_agent(env.link, "7103", ring=3, talk=4)

    await page.goto(f"{served}/agent")
    await page.get_by_test_id("signin-extension").fill("7103")
    await page.get_by_test_id("signin-password").fill("e2e-7103-secret")
    await page.get_by_test_id("signin-password").press("Enter")
    await expect(page.get_by_test_id("connection")).to_have_text("live", timeout=SOON)
    await page.get_by_test_id("btn-ready").click()
    await expect(page.get_by_test_id("state")).to_have_text("Ready", timeout=SOON)

    linkedid = await place_inbound_call(env.link, did="20199", caller_stays=30, flow="e2e_support",
                                        keys="ww41001009", caller_id=f'"Rosa Browser" <{CALLER_NUMBER}>')
    call_id = str(call_key("sandbox", linkedid))
    await expect(page.get_by_test_id("pop-customer-name")).to_have_text("Rosa Browser", timeout=SOON)
    await expect(page.get_by_test_id("pop-number")).to_contain_text(CALLER_NUMBER, timeout=SOON)
    await expect(page.get_by_test_id("pop-ivr-path")).to_contain_text("account", timeout=SOON)
    await expect(page.get_by_test_id("pop-collected")).to_contain_text("41001009", timeout=SOON)
    await expect(page.get_by_test_id("pop-cases")).to_contain_text("Bill shows a double charge", timeout=SOON)
    await expect(page.get_by_test_id("pop-crm")).to_have_attribute(  # e2e_tech's screenpop_url, filled in
        "href", f"https://crm.example/cust?phone=%2B14155550171&acct={customer.account_number}", timeout=SOON)
    await shot(page, "1-screen-pop")

    await expect(page.get_by_test_id("disposition")).to_be_visible(timeout=SOON)  # the call ended: wrap-up
    await page.get_by_test_id("disposition").select_option("resolved")
    await page.get_by_test_id("wrapup-notes").fill("Refund promised")
    await page.get_by_test_id("case-subject").fill("Refund the double charge")
    await shot(page, "2-wrap-up")
    await page.get_by_test_id("wrapup-submit").click()
    await expect(page.get_by_test_id("wrapup")).to_be_hidden(timeout=SOON)  # saved
    await expect(page.get_by_test_id("state")).to_have_text("Ready", timeout=SOON)
    await wait_events(env, call_id, "Ended")

    dispositions = await env.db.fetch("SELECT code, notes, agent_id FROM call_dispositions WHERE call_id = $1", call_id)
    assert [(d["code"], d["notes"], str(d["agent_id"])) for d in dispositions] == [
        ("resolved", "Refund promised", env.agents["7103"])]
    case = await env.db.fetchrow("SELECT customer_id, subject FROM cases WHERE call_id = $1", call_id)
    assert case["customer_id"] == customer.id and case["subject"] == "Refund the double charge"

    wallboard = await browser.new_page()
    await wallboard.goto(f"{served}/wallboard?key={env.api_key}")
    await expect(wallboard.get_by_text("e2e_tech").first).to_be_visible(timeout=SOON)
    await expect(wallboard.get_by_text("Cleo Tech").first).to_be_visible(timeout=SOON)
    await wallboard.screenshot(path=str(SCREENSHOTS / "e2e-3-wallboard.png"), full_page=True)
    await wallboard.close()

    async with httpx.AsyncClient(base_url=served, headers={"Authorization": f"Bearer {env.api_key}"}) as http:
        kpis = (await http.get("/api/v1/reports/kpis", params={"group_by": "agent"})).json()
    cleo = next(row for row in kpis["groups"] if row["group"] == env.agents["7103"])
    assert cleo["answered"] >= 1 and cleo["handled"] >= 1 and cleo["talk_s"] > 2
