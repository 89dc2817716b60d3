"""The KPI report page (/reports) in a real headless Chromium, against the real app and PostgreSQL: a known
day of calls in two queues shown by queue (table, overall row, service-level and AHT bars), by hour
(answered and abandoned per hour) and by agent, the same report downloaded as CSV, and a key that may
not read reports turned away.

The day (from 2021-11-09 UTC on, a day of its own for each test; no other test writes on them). billing
(SL threshold 20 s): Ann answers after 10 s and talks 120 s, Bob answers after 30 s and talks 240 s, a
caller abandons after 50 s, all between 09:00 and 10:00. sales (30 s): Ann answers after 5 s and talks 90 s
at 14:10. support (60 s): no calls."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from acd_events import AcdEvents
from browser_tools import LiveServer, ServeApp, screenshot
from contact_center import an_agent, unique
from playwright.async_api import Page, expect
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.crm.agents import Agent
from ccserver.crm.database import session_factory
from ccserver.crm.tables import queues
from ccserver.settings import Settings

ApiKeyFactory = Callable[[str], Awaitable[str]]
DAYS = (datetime(2021, 11, 9, tzinfo=UTC) + timedelta(days=n) for n in itertools.count())


@dataclass(frozen=True)
class KnownDay:
    server: LiveServer
    key: str
    day: datetime
    billing: str
    sales: str
    support: str
    ann: Agent
    bob: Agent

    @property
    def date(self) -> str:
        return self.day.date().isoformat()


@pytest.fixture
async def known_day(
    serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine, api_key_factory: ApiKeyFactory,
    acd_events: AcdEvents,
) -> KnownDay:
    day = next(DAYS)
    billing, sales, support = unique("billing"), unique("sales"), unique("support")
    async with db_engine.begin() as conn:
        await conn.execute(insert(queues).values([{"name": billing, "sl_threshold_s": 20},
                                                  {"name": sales, "sl_threshold_s": 30},
                                                  {"name": support, "sl_threshold_s": 60}]))
    sessions = session_factory(db_engine)
    ann, bob = await an_agent(sessions, "Ann Lee"), await an_agent(sessions, "Bob Stone")
    def at(clock: str) -> datetime:
        hours, minutes = (int(part) for part in clock.split(":"))
        return day + timedelta(hours=hours, minutes=minutes)

    for queue, agent, answered, waited, ended, talk in ((billing, ann, "09:05", "10", "09:08", "120"),
                                                        (billing, bob, "09:20", "30", "09:25", "240"),
                                                        (sales, ann, "14:10", "5", "14:12", "90")):
        await acd_events.add("Answered", at(answered), Queue=queue, WaitedS=waited, AgentId=str(agent.id))
        await acd_events.add("Ended", at(ended), Queue=queue, TalkS=talk, AgentId=str(agent.id))
    await acd_events.add("Left", at("09:40"), Queue=billing, WaitedS="50", Reason="abandoned")
    server = await serve(create_app(settings=test_settings, engine=db_engine))
    return KnownDay(server, await api_key_factory("supervisor"), day, billing, sales, support, ann, bob)


async def show_day(page: Page, day: KnownDay, group_by: str) -> None:
    await page.get_by_test_id("report-from").fill(day.date)
    await page.get_by_test_id("report-to").fill(day.date)
    await page.get_by_test_id("report-group-by").select_option(group_by)
    await page.get_by_test_id("report-show").click()
    await expect(page.get_by_test_id("table-title")).to_contain_text(f"By {group_by} · {day.date} · ")


async def test_the_days_kpis_by_queue_show_as_a_table_with_the_overall_row_and_bars(
    page: Page, known_day: KnownDay
) -> None:
    day = known_day
    await page.goto(f"{day.server.url}/reports")
    await page.get_by_test_id("signin-key").fill(day.key)
    await page.get_by_test_id("signin-key").press("Enter")
    today = datetime.now(UTC).date().isoformat()
    await expect(page.get_by_test_id("report-from")).to_have_value(today)
    await expect(page.get_by_test_id("report-to")).to_have_value(today)

    await show_day(page, day, "queue")

    await expect(page.locator("thead th")).to_have_text([
        "Queue", "Answered", "Abandoned", "Handled", "Service level", "Abandon rate", "ASA", "Avg queue", "AHT",
        "Avg ACW", "Avg hold", "FCR"])
    await expect(page.get_by_test_id("kpi-row")).to_have_count(2)  # every other queue had no calls that day
    await expect(page.locator(f'[data-testid="kpi-row"][data-group="{day.billing}"] > *')).to_have_text(
        [day.billing, "2", "1", "2", "33.3%", "33.3%", "0:20", "0:30", "3:00", "0:00", "0:00", "—"])
    await expect(page.locator(f'[data-testid="kpi-row"][data-group="{day.sales}"] > *')).to_have_text(
        [day.sales, "1", "0", "1", "100.0%", "0.0%", "0:05", "0:05", "1:30", "0:00", "0:00", "—"])
    await expect(page.locator('[data-testid="kpi-overall-row"] > *')).to_have_text(
        ["Overall", "3", "1", "3", "50.0%", "25.0%", "0:15", "0:24", "2:30", "0:00", "0:00", "—"])
    service_level = page.get_by_test_id("chart-sl").get_by_test_id("bar")
    await expect(service_level).to_have_count(2)
    assert [await bar.get_attribute("data-label") for bar in await service_level.all()] == [day.billing, day.sales]
    await expect(service_level.nth(1).locator("text").last).to_have_text("100.0%")
    aht = page.get_by_test_id("chart-aht").get_by_test_id("bar")
    await expect(aht).to_have_count(2)
    await expect(aht.locator("title")).to_have_text([f"{day.billing}: 3:00", f"{day.sales}: 1:30"])
    await screenshot(page, "reports-1-by-queue")

    await page.get_by_test_id("report-hide-empty").uncheck()  # the queues without calls, too
    await expect(page.locator(f'[data-testid="kpi-row"][data-group="{day.support}"] > *')).to_have_text(
        [day.support, "0", "0", "0", "—", "—", "—", "—", "—", "—", "—", "—"])
    await expect(page.get_by_test_id("chart-sl").get_by_test_id("bar")).to_have_count(2)  # no figure, no bar


async def test_by_hour_the_chart_has_a_bar_for_every_hour_of_the_day_and_by_agent_a_row_per_agent(
    page: Page, known_day: KnownDay
) -> None:
    day = known_day
    await page.goto(f"{day.server.url}/reports?key={day.key}")

    await show_day(page, day, "hour")

    bars = page.get_by_test_id("chart-hours").get_by_test_id("bar")
    await expect(bars).to_have_count(24)
    counts = [(await bar.get_attribute("data-answered"), await bar.get_attribute("data-abandoned"))
              for bar in await bars.all()]
    assert counts[9] == ("2", "1") and counts[14] == ("1", "0")
    assert all(c == ("0", "0") for hour, c in enumerate(counts) if hour not in (9, 14))
    await expect(page.locator('[data-testid="kpi-row"] th')).to_have_text(["09:00", "14:00"])
    await screenshot(page, "reports-2-by-hour")

    await show_day(page, day, "agent")

    await expect(page.locator("thead th")).to_have_text([
        "Agent", "Answered", "Handled", "ASA", "AHT", "Avg ACW", "Avg hold", "Occupancy", "Ready", "FCR"])
    await expect(page.locator('[data-testid="kpi-row"] > th')).to_have_text(
        sorted([f"Ann Lee ({day.ann.extension})", f"Bob Stone ({day.bob.extension})"],
               key=lambda name: name.split("(")[1]))  # in extension order
    await expect(page.locator(f'[data-group="{day.ann.id}"] [data-field="aht_s"]')).to_have_text("1:45")
    await expect(page.get_by_test_id("chart-answered").get_by_test_id("bar")).to_have_count(2)
    await screenshot(page, "reports-3-by-agent")


async def test_the_csv_download_is_the_reports_csv_fetched_with_the_key(page: Page, known_day: KnownDay) -> None:
    day = known_day
    await page.goto(f"{day.server.url}/reports?key={day.key}")
    await show_day(page, day, "queue")

    async with page.expect_download() as download_info:
        await page.get_by_test_id("report-csv").click()
    download = await download_info.value
    path = await download.path()

    async with httpx.AsyncClient(base_url=day.server.url) as client:
        expected = await client.get(
            "/api/v1/reports/kpis", headers={"Authorization": f"Bearer {day.key}"},
            params={"from": day.day.isoformat(), "to": (day.day + timedelta(days=1)).isoformat(),
                    "group_by": "queue", "format": "csv"})
    assert download.suggested_filename == f"kpis-queue-{day.day:%Y%m%d}T000000Z.csv"
    assert path.read_bytes() == expected.content
    lines = expected.text.splitlines()
    assert lines[0].startswith("group,agent_extension,agent_name,answered,answered_within_sl,abandoned,")
    assert f"{day.billing},,,2,1,1,2," in expected.text and lines[-1].startswith("overall,,,3,2,1,3,")


async def test_a_key_that_may_not_read_reports_is_turned_away(
    page: Page, serve: ServeApp, test_settings: Settings, db_engine: AsyncEngine, api_key_factory: ApiKeyFactory,
) -> None:
    server = await serve(create_app(settings=test_settings, engine=db_engine))
    async with httpx.AsyncClient(base_url=server.url) as client:
        served = await client.get("/reports")
    assert 'src="/static/reports.js"' in served.text and served.headers["referrer-policy"] == "no-referrer"

    await page.goto(f"{server.url}/reports")
    await page.get_by_test_id("signin-key").fill(await api_key_factory("agent"))
    await page.get_by_test_id("signin-submit").click()

    await expect(page.get_by_test_id("signin-error")).to_have_text(
        "The key was refused: The agent role may not do this.")
    await expect(page.get_by_test_id("report-form")).to_be_hidden()
    assert await page.evaluate("sessionStorage.length") == 0
