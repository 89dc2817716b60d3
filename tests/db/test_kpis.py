"""Contact-center KPIs from a scripted morning of calls in PostgreSQL, every figure worked out by hand.

The morning (2022-09-13 UTC; the report window is 09:00-11:00). Queues billing (SL threshold 20 s) and
sales (30 s); agents ann, bob and carol.

  C1  billing  caller A  queued 09:00:00, ann answers 09:00:10 (waited 10 s), hold 09:01:00-09:01:30 (30 s),
               ends 09:03:10 (talk 180 s); ann wraps up 09:03:10-09:03:40 (30 s)
  C2  billing  caller B  bob answers 09:10:20 (waited 20 s: exactly the threshold, so within), holds
               09:11:00-09:11:10 and 09:11:30-09:11:50 (a second Hold at 09:11:35 changes nothing): 30 s;
               ends 09:12:20 (talk 120 s); bob wraps up 09:12:20-09:13:20 (60 s)
  C3  billing  caller A  abandoned at 09:20:45 after 45 s
  C4-C8 billing  left as transferred / switch lost / caller back / queued again / no switch up /
               switch unreachable: none is an abandon
  C10 sales    caller A again  queued 10:00:00, ann answers 10:00:35 (waited 35 s > 30: not within), ends
               10:05:35 (talk 300 s); ann wraps up 10:05:35-10:06:05 (30 s)
  C12 sales    no caller number  bob answers 10:30:05 (waited 5 s), holds from 10:31:25 with no Unhold
               until the call ends at 10:32:05 (40 s), ends 10:32:05 (talk 120 s); bob wraps up 30 s
  C13 a direct call (no ACD answer) with 20 s of hold: not counted
  outside the window: an answer at 08:59:59 and an abandon at 11:00:00

FCR: caller A calls again (C10) within the window, so C1 is not resolved; caller B calls again three days
later (outside the window, inside 7 days), so C2 is not resolved; after C10 caller A only makes an outbound
call the next day and an inbound call eight days later: C10 is resolved. C12 has no caller: not counted.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.crm.database import session_factory
from ccserver.crm.kpis import GroupBy, KpiReport, KpiRow, kpi_report
from ccserver.crm.tables import agent_state_log, agents, call_events, calls, queues

DAY = datetime(2022, 9, 13, tzinfo=UTC)  # no other test writes on this day: `overall` is this file's alone
START, END = DAY + timedelta(hours=9), DAY + timedelta(hours=11)
LATER = DAY + timedelta(days=1)


def at(clock: str, day: datetime = DAY) -> datetime:
    """`at("09:00:10")` on DAY."""
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return day + timedelta(hours=hours, minutes=minutes, seconds=seconds)


class Recorder:
    """Writes calls, call events and agent transitions the way the journal and the ACD write them: event
    ids are arrival times in microseconds, on a switch of this test's own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.switch_id = f"kpi-{uuid.uuid4().hex[:10]}"
        self._bump = 0

    async def _insert(self, table: Any, row: dict[str, Any]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(table).values(row))

    async def queue(self, prefix: str, threshold_s: int) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        await self._insert(queues, {"name": name, "sl_threshold_s": threshold_s})
        return name

    async def agent(self, name: str) -> str:
        agent_id = uuid.uuid4()
        extension = str(random.randint(10**8, 10**9 - 1))
        await self._insert(agents, {"id": agent_id, "extension": extension, "name": name, "sip_ha1": "0" * 32})
        return str(agent_id)

    async def call(self, started_at: datetime, caller: str | None = None, *, direction: str = "inbound",
                   ended_at: datetime | None = None) -> uuid.UUID:
        call_id = uuid.uuid4()
        await self._insert(calls, {
            "id": call_id, "switch_id": self.switch_id, "linkedid": call_id.hex, "direction": direction,
            "state": "ended", "caller_e164": caller, "started_at": started_at, "ended_at": ended_at,
        })
        return call_id

    async def event(self, name: str, call_id: uuid.UUID, when: datetime, uniqueid: str | None = None,
                    **headers: str) -> None:
        self._bump += 1  # two events in one microsecond get consecutive ids, as JournalIds gives them
        await self._insert(call_events, {
            "id": int(when.timestamp() * 1_000_000) + self._bump, "switch_id": self.switch_id,
            "call_id": call_id, "event": name, "uniqueid": uniqueid, "occurred_at": when, "received_at": when,
            "raw": {"Event": name, **({"Uniqueid": uniqueid} if uniqueid else {}), **headers},
        })

    async def acd(self, kind: str, call_id: uuid.UUID, when: datetime, **headers: str) -> None:
        await self.event(f"ccserver.Acd{kind}", call_id, when, **headers)

    async def states(self, agent_id: str, *changes: tuple[str | datetime, str, uuid.UUID | None]) -> None:
        """`(clock or datetime, to_state, call_id)` in order, from logged_out."""
        previous = "logged_out"
        for when, to_state, call_id in changes:
            await self._insert(agent_state_log, {
                "agent_id": uuid.UUID(agent_id), "from_state": previous, "to_state": to_state,
                "at": at(when) if isinstance(when, str) else when, "call_id": call_id, "source": "system",
            })
            previous = to_state


def a_number() -> str:
    return f"+1555{random.randint(10**6, 10**7 - 1)}"


async def record_the_morning(rec: Recorder) -> dict[str, str]:
    billing, sales, quiet = await rec.queue("billing", 20), await rec.queue("sales", 30), await rec.queue("quiet", 20)
    ann, bob, carol = await rec.agent("Ann"), await rec.agent("Bob"), await rec.agent("Carol")
    caller_a, caller_b = a_number(), a_number()

    c0 = await rec.call(at("08:59:40"), caller_b)
    await rec.acd("Answered", c0, at("08:59:59"), Queue=billing, AgentId=ann, WaitedS="19.000")  # before the window

    c1 = await rec.call(at("09:00:00"), caller_a, ended_at=at("09:03:10"))
    await rec.acd("Queued", c1, at("09:00:00"), Queue=billing, Priority="0")
    await rec.acd("Offered", c1, at("09:00:05"), Queue=billing, AgentId=ann, Extension="201")
    await rec.acd("Answered", c1, at("09:00:10"), Queue=billing, AgentId=ann, WaitedS="10.000")
    await rec.event("Hold", c1, at("09:01:00"), "c1-agent", Channel="PJSIP/201-1")
    await rec.event("Unhold", c1, at("09:01:10"), "c1-caller", Channel="PJSIP/trunk-1")  # another channel
    await rec.event("Unhold", c1, at("09:01:30"), "c1-agent", Channel="PJSIP/201-1")
    await rec.acd("Ended", c1, at("09:03:10"), Queue=billing, AgentId=ann, TalkS="180.000")

    c2 = await rec.call(at("09:10:00"), caller_b, ended_at=at("09:12:20"))
    await rec.acd("Queued", c2, at("09:10:00"), Queue=billing, Priority="0")
    await rec.acd("Answered", c2, at("09:10:20"), Queue=billing, AgentId=bob, WaitedS="20.000")
    await rec.event("Hold", c2, at("09:11:00"), "c2-agent")
    await rec.event("Unhold", c2, at("09:11:10"), "c2-agent")
    await rec.event("Hold", c2, at("09:11:30"), "c2-agent")
    await rec.event("Hold", c2, at("09:11:35"), "c2-agent")
    await rec.event("Unhold", c2, at("09:11:50"), "c2-agent")
    await rec.acd("Ended", c2, at("09:12:20"), Queue=billing, AgentId=bob, TalkS="120.000")

    c3 = await rec.call(at("09:20:00"), caller_a)  # before C10: no repeat of C10, which looks only ahead
    await rec.acd("Queued", c3, at("09:20:00"), Queue=billing, Priority="0")
    await rec.acd("Left", c3, at("09:20:45"), Queue=billing, WaitedS="45.000", Reason="abandoned")

    reasons = ("transferred", "switch lost", "caller back", "queued again", "no switch up", "switch unreachable")
    for minute, reason in enumerate(reasons, start=30):
        other = await rec.call(at(f"09:{minute}:00"), a_number())
        await rec.acd("Left", other, at(f"09:{minute}:05"), Queue=billing, WaitedS="5.000", Reason=reason)

    c10 = await rec.call(at("10:00:00"), caller_a, ended_at=at("10:05:35"))
    await rec.acd("Queued", c10, at("10:00:00"), Queue=sales, Priority="0")
    await rec.acd("Answered", c10, at("10:00:35"), Queue=sales, AgentId=ann, WaitedS="35.000")
    await rec.acd("Ended", c10, at("10:05:35"), Queue=sales, AgentId=ann, TalkS="300.000")

    c12 = await rec.call(at("10:30:00"), None, ended_at=at("10:32:05"))
    await rec.acd("Answered", c12, at("10:30:05"), Queue=sales, AgentId=bob, WaitedS="5.000")
    await rec.event("Hold", c12, at("10:31:25"), "c12-agent")  # hung up while on hold
    await rec.acd("Ended", c12, at("10:32:05"), Queue=sales, AgentId=bob, TalkS="120.000")

    c13 = await rec.call(at("09:50:00"), a_number(), ended_at=at("09:55:00"))  # not through the ACD
    await rec.event("Hold", c13, at("09:51:00"), "c13-a")
    await rec.event("Unhold", c13, at("09:51:20"), "c13-a")

    late = await rec.call(at("10:59:00"), a_number())
    await rec.acd("Left", late, at("11:00:00"), Queue=billing, WaitedS="60.000", Reason="abandoned")  # at `to`

    await rec.call(DAY + timedelta(days=3, hours=8), caller_b)  # C2's caller again, inside 7 days
    await rec.call(DAY + timedelta(days=1), caller_a, direction="outbound")  # outbound: not a repeat
    await rec.call(DAY + timedelta(days=8, hours=10, minutes=1), caller_a)  # C10's caller, after 7 days

    await rec.states(
        ann, ("08:00:00", "ready", None), ("09:00:05", "reserved", c1), ("09:00:10", "on_call", c1),
        ("09:03:10", "wrap_up", c1), ("09:03:40", "ready", None), ("10:00:30", "reserved", c10),
        ("10:00:35", "on_call", c10), ("10:05:35", "wrap_up", c10), ("10:06:05", "not_ready", None),
        ("10:30:00", "logged_out", None), ("11:30:00", "ready", None),
    )
    await rec.states(
        bob, ("09:05:00", "ready", None), ("09:10:15", "reserved", c2), ("09:10:20", "on_call", c2),
        ("09:12:20", "wrap_up", c2), ("09:13:20", "ready", None), ("10:30:00", "reserved", c12),
        ("10:30:05", "on_call", c12), ("10:32:05", "wrap_up", c12), ("10:32:35", "ready", None),
    )
    # carol: ready all morning, no call; her state at 09:00 is the later of two rows before the window
    await rec.states(carol, ("06:00:00", "not_ready", None), ("07:00:00", "ready", None))
    return {"billing": billing, "sales": sales, "quiet": quiet, "ann": ann, "bob": bob, "carol": carol}


@pytest.fixture(scope="module")
async def morning(db_engine: AsyncEngine) -> dict[str, str]:
    return await record_the_morning(Recorder(db_engine))


async def report(db_engine: AsyncEngine, group_by: GroupBy, *, now: datetime = LATER, start: datetime = START,
                 end: datetime = END, fcr_window_days: int = 7) -> KpiReport:
    async with session_factory(db_engine)() as session:
        return await kpi_report(session=session, group_by=group_by, start=start, end=end, now=now,
                                fcr_window_days=fcr_window_days)


def by_group(result: KpiReport) -> dict[str, KpiRow]:
    return {row.group: row for row in result.groups}


def figures(row: KpiRow, *names: str) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


# Time in each state inside 09:00-11:00, from the transitions above:
#   ann:   ready 5 (09:00:00-09:00:05, clipped from 08:00) + 3410 (09:03:40-10:00:30) = 3415;
#          logged in 09:00-10:30 = 5400 (ready 3415 + reserved 10 + on call 480 + wrap-up 60 + not ready 1435)
#   bob:   ready 315 (09:05:00-09:10:15) + 4600 (09:13:20-10:30:00) + 1645 (10:32:35-11:00, open) = 6560;
#          logged in 09:05-11:00 = 6900
#   carol: ready and logged in all 7200 (her only row is before the window)
ANN_READY, BOB_READY, CAROL_READY = 3415.0, 6560.0, 7200.0
ANN_IN, BOB_IN, CAROL_IN = 5400.0, 6900.0, 7200.0


async def test_overall_kpis_of_the_morning(db_engine: AsyncEngine, morning: dict[str, str]) -> None:
    result = await report(db_engine, GroupBy.OVERALL)

    assert [row.group for row in result.groups] == ["overall"] and result.overall == result.groups[0]
    row = result.overall
    assert figures(row, "answered", "answered_within_sl", "abandoned", "handled", "fcr_calls", "fcr_resolved") == {
        "answered": 4,  # C1, C2, C10, C12 (not 08:59:59)
        "answered_within_sl": 3,  # 10 <= 20, 20 <= 20, 5 <= 30; not 35 > 30
        "abandoned": 1,  # C3 only: the other reasons and the 11:00:00 abandon do not count
        "handled": 4, "fcr_calls": 3, "fcr_resolved": 1,  # C1, C2, C10 have a caller; only C10 resolved
    }
    assert row.asa_s == pytest.approx((10 + 20 + 35 + 5) / 4)  # 17.5
    assert row.avg_queue_time_s == pytest.approx((10 + 20 + 35 + 5 + 45) / 5)  # 23.0
    assert row.abandon_rate_pct == pytest.approx(100 * 1 / 5)  # 20 %
    assert row.service_level_pct == pytest.approx(100 * 3 / 5)  # 60 %
    assert row.talk_s == pytest.approx(180 + 120 + 300 + 120)  # 720
    assert row.hold_s == pytest.approx(30 + 30 + 40)  # C13's hold is no ACD call's
    assert row.avg_hold_s == pytest.approx(100 / 4)  # 25.0 per answered call
    assert row.acw_s == pytest.approx(30 + 60 + 30 + 30)  # 150
    assert row.avg_acw_s == pytest.approx(150 / 4)  # 37.5
    assert row.aht_s == pytest.approx((720 + 150) / 4)  # talk (holds inside) + ACW per handled call = 217.5
    assert row.ready_s == pytest.approx(ANN_READY + BOB_READY + CAROL_READY)  # 17175
    assert row.logged_in_s == pytest.approx(ANN_IN + BOB_IN + CAROL_IN)  # 19500
    assert row.occupancy_pct == pytest.approx(100 * 720 / (720 + 17175))
    assert row.ready_ratio_pct == pytest.approx(100 * 17175 / 19500)
    assert row.fcr_pct == pytest.approx(100 / 3)


async def test_kpis_per_queue(db_engine: AsyncEngine, morning: dict[str, str]) -> None:
    result = await report(db_engine, GroupBy.QUEUE)
    rows = by_group(result)
    billing, sales, quiet = rows[morning["billing"]], rows[morning["sales"]], rows[morning["quiet"]]

    # billing: C1 (10 s) and C2 (20 s) answered, C3 (45 s) abandoned; talk 180 + 120, hold 30 + 30,
    # wrap-up 30 (ann after C1) + 60 (bob after C2); C1 and C2 both repeated
    assert figures(billing, "answered", "answered_within_sl", "abandoned", "handled") == {
        "answered": 2, "answered_within_sl": 2, "abandoned": 1, "handled": 2}
    assert billing.asa_s == pytest.approx(15.0)
    assert billing.avg_queue_time_s == pytest.approx((10 + 20 + 45) / 3)  # 25.0
    assert billing.abandon_rate_pct == pytest.approx(100 / 3)
    assert billing.service_level_pct == pytest.approx(200 / 3)
    assert (billing.talk_s, billing.hold_s, billing.acw_s) == pytest.approx((300, 60, 90))
    assert billing.avg_hold_s == pytest.approx(30.0)
    assert billing.aht_s == pytest.approx((300 + 90) / 2)  # 195
    assert billing.avg_acw_s == pytest.approx(45.0)
    assert (billing.fcr_calls, billing.fcr_resolved, billing.fcr_pct) == (2, 0, 0.0)
    # idle time belongs to no queue
    assert (billing.ready_s, billing.logged_in_s, billing.occupancy_pct, billing.ready_ratio_pct) == (None,) * 4

    # sales: C10 (35 s, over 30) and C12 (5 s) answered; talk 300 + 120; hold 40 (C12, to its end);
    # wrap-up 30 + 30; only C10 has a caller, and it is resolved
    assert figures(sales, "answered", "answered_within_sl", "abandoned", "handled") == {
        "answered": 2, "answered_within_sl": 1, "abandoned": 0, "handled": 2}
    assert (sales.asa_s, sales.avg_queue_time_s) == pytest.approx((20.0, 20.0))
    assert (sales.abandon_rate_pct, sales.service_level_pct) == pytest.approx((0.0, 50.0))
    assert (sales.talk_s, sales.hold_s, sales.acw_s) == pytest.approx((420, 40, 60))
    assert (sales.avg_hold_s, sales.aht_s, sales.avg_acw_s) == pytest.approx((20.0, (420 + 60) / 2, 30.0))
    assert (sales.fcr_calls, sales.fcr_resolved, sales.fcr_pct) == (1, 1, 100.0)

    # a configured queue with no calls is listed, with nothing to divide by
    assert (quiet.answered, quiet.abandoned, quiet.handled, quiet.talk_s) == (0, 0, 0, 0.0)
    assert (quiet.asa_s, quiet.service_level_pct, quiet.abandon_rate_pct, quiet.aht_s, quiet.fcr_pct) == (None,) * 5
    assert result.overall.answered == 4  # the overall row comes with every grouping


async def test_kpis_per_agent(db_engine: AsyncEngine, morning: dict[str, str]) -> None:
    rows = by_group(await report(db_engine, GroupBy.AGENT))
    ann, bob, carol = rows[morning["ann"]], rows[morning["bob"]], rows[morning["carol"]]

    # ann: answered C1 (10 s) and C10 (35 s); talk 180 + 300; hold 30 (C1); wrap-up 30 + 30
    assert (ann.agent_name, ann.answered, ann.answered_within_sl, ann.handled) == ("Ann", 2, 1, 2)
    assert ann.asa_s == pytest.approx(22.5)
    assert (ann.talk_s, ann.hold_s, ann.acw_s) == pytest.approx((480, 30, 60))
    assert (ann.avg_hold_s, ann.aht_s, ann.avg_acw_s) == pytest.approx((15.0, (480 + 60) / 2, 30.0))
    assert (ann.ready_s, ann.logged_in_s) == pytest.approx((ANN_READY, ANN_IN))
    assert ann.occupancy_pct == pytest.approx(100 * 480 / (480 + 3415))
    assert ann.ready_ratio_pct == pytest.approx(100 * 3415 / 5400)
    assert (ann.fcr_calls, ann.fcr_resolved, ann.fcr_pct) == (2, 1, 50.0)  # C1 repeated, C10 not
    # a caller who gives up reaches no agent
    assert (ann.abandoned, ann.abandon_rate_pct, ann.service_level_pct, ann.avg_queue_time_s) == (None,) * 4

    # bob: answered C2 (20 s) and C12 (5 s); talk 120 + 120; hold 30 + 40; wrap-up 60 + 30
    assert (bob.agent_name, bob.answered, bob.answered_within_sl, bob.handled) == ("Bob", 2, 2, 2)
    assert bob.asa_s == pytest.approx(12.5)
    assert (bob.talk_s, bob.hold_s, bob.acw_s) == pytest.approx((240, 70, 90))
    assert (bob.avg_hold_s, bob.aht_s, bob.avg_acw_s) == pytest.approx((35.0, (240 + 90) / 2, 45.0))
    assert (bob.ready_s, bob.logged_in_s) == pytest.approx((BOB_READY, BOB_IN))
    assert bob.occupancy_pct == pytest.approx(100 * 240 / (240 + 6560))
    assert bob.ready_ratio_pct == pytest.approx(100 * 6560 / 6900)
    assert (bob.fcr_calls, bob.fcr_resolved, bob.fcr_pct) == (1, 0, 0.0)  # C12 has no caller

    # carol: ready all along, no call: occupancy 0 %, no handle time
    assert (carol.answered, carol.handled, carol.ready_s, carol.logged_in_s) == (0, 0, CAROL_READY, CAROL_IN)
    assert (carol.occupancy_pct, carol.ready_ratio_pct) == (0.0, 100.0)
    assert (carol.asa_s, carol.aht_s, carol.avg_acw_s, carol.fcr_pct) == (None,) * 4


async def test_kpis_per_hour(db_engine: AsyncEngine, morning: dict[str, str]) -> None:
    result = await report(db_engine, GroupBy.HOUR)

    assert [row.group for row in result.groups] == ["2022-09-13T09:00:00Z", "2022-09-13T10:00:00Z"]
    nine, ten = result.groups
    # 09:00-10:00: C1, C2 answered, C3 abandoned, C1 and C2 ended and held 30 + 30, wrapped up 30 + 60
    assert (nine.answered, nine.answered_within_sl, nine.abandoned, nine.handled) == (2, 2, 1, 2)
    assert (nine.asa_s, nine.avg_queue_time_s) == pytest.approx((15.0, 25.0))
    assert (nine.service_level_pct, nine.abandon_rate_pct) == pytest.approx((200 / 3, 100 / 3))
    assert (nine.talk_s, nine.hold_s, nine.acw_s, nine.aht_s) == pytest.approx((300, 60, 90, 195))
    # ready: ann 5 + 3380 (09:03:40-10:00), bob 315 + 2800 (09:13:20-10:00), carol 3600 = 10100
    # logged in: ann 3600, bob 3300 (from 09:05), carol 3600 = 10500
    assert (nine.ready_s, nine.logged_in_s) == pytest.approx((10100, 10500))
    assert nine.occupancy_pct == pytest.approx(100 * 300 / (300 + 10100))
    assert nine.ready_ratio_pct == pytest.approx(100 * 10100 / 10500)
    assert (nine.fcr_calls, nine.fcr_resolved) == (2, 0)

    # 10:00-11:00: C10, C12 answered and ended; hold 40; wrap-up 30 + 30
    assert (ten.answered, ten.answered_within_sl, ten.abandoned, ten.handled) == (2, 1, 0, 2)
    assert (ten.asa_s, ten.service_level_pct, ten.abandon_rate_pct) == pytest.approx((20.0, 50.0, 0.0))
    assert (ten.talk_s, ten.hold_s, ten.acw_s, ten.aht_s) == pytest.approx((420, 40, 60, 240))
    # ready: ann 30 (10:00-10:00:30), bob 1800 (10:00-10:30) + 1645, carol 3600 = 7075
    # logged in: ann 1800 (until 10:30), bob 3600, carol 3600 = 9000
    assert (ten.ready_s, ten.logged_in_s) == pytest.approx((7075, 9000))
    assert ten.occupancy_pct == pytest.approx(100 * 420 / (420 + 7075))
    assert ten.ready_ratio_pct == pytest.approx(100 * 7075 / 9000)
    assert (ten.fcr_calls, ten.fcr_resolved, ten.fcr_pct) == (1, 1, 100.0)
    assert result.overall.ready_s == pytest.approx(10100 + 7075)  # the hours add up to the whole


async def test_an_open_state_runs_only_until_now(db_engine: AsyncEngine, morning: dict[str, str]) -> None:
    rows = by_group(await report(db_engine, GroupBy.AGENT, now=at("10:45:00")))

    # bob's last ready (from 10:32:35) runs to 10:45 instead of 11:00: 1645 - 900 = 745 s of it
    assert rows[morning["bob"]].ready_s == pytest.approx(BOB_READY - 900)
    assert rows[morning["bob"]].logged_in_s == pytest.approx(BOB_IN - 900)
    assert rows[morning["carol"]].ready_s == pytest.approx(CAROL_READY - 900)
    # ann logged out at 10:30: her closed intervals do not change
    assert rows[morning["ann"]].logged_in_s == pytest.approx(ANN_IN)


async def test_a_window_inside_long_states_is_clipped_at_both_ends(
    db_engine: AsyncEngine, morning: dict[str, str]
) -> None:
    # 09:30-10:00: ann ready (since 09:03:40) and carol ready all of it; bob ready since 09:13:20
    result = await report(db_engine, GroupBy.AGENT, start=at("09:30:00"), end=at("10:00:00"))
    rows = by_group(result)

    for agent in ("ann", "bob", "carol"):
        assert (rows[morning[agent]].ready_s, rows[morning[agent]].logged_in_s) == (1800.0, 1800.0)
    # C4-C8 left in 09:30-09:35 without abandoning: the half hour has no queue figures
    assert (result.overall.answered, result.overall.abandoned, result.overall.abandon_rate_pct) == (0, 0, None)


async def test_hours_of_a_window_off_the_hour_are_cut_to_the_window(
    db_engine: AsyncEngine, morning: dict[str, str]
) -> None:
    result = await report(db_engine, GroupBy.HOUR, start=at("09:30:00"), end=at("10:15:00"))

    assert [row.group for row in result.groups] == ["2022-09-13T09:00:00Z", "2022-09-13T10:00:00Z"]
    nine, ten = result.groups
    # 09:30-10:00: ann, bob and carol all ready (1800 s each); 10:00-10:15: ann ready 30 s then on C10
    # (reserved 5, on call 300, wrap-up 30, not ready 565 until 10:15), bob and carol ready 900 s each
    assert (nine.ready_s, nine.logged_in_s) == pytest.approx((3 * 1800, 3 * 1800))
    assert (ten.ready_s, ten.logged_in_s) == pytest.approx((30 + 900 + 900, 3 * 900))
    assert (ten.acw_s, ten.talk_s, ten.answered) == (30.0, 300.0, 1)  # C10; C12 comes after 10:15


async def test_a_longer_fcr_window_catches_the_later_repeat(db_engine: AsyncEngine, morning: dict[str, str]) -> None:
    # caller A's inbound call 8 days after C10 is a repeat within 9 days: no call is resolved then
    nine_days = (await report(db_engine, GroupBy.OVERALL, fcr_window_days=9)).overall
    # and within 2 days caller B's call 3 days after C2 is not: C2 and C10 are resolved
    two_days = (await report(db_engine, GroupBy.OVERALL, fcr_window_days=2)).overall

    assert (nine_days.fcr_calls, nine_days.fcr_resolved, nine_days.fcr_pct) == (3, 0, 0.0)
    assert (two_days.fcr_calls, two_days.fcr_resolved) == (3, 2)
    assert two_days.fcr_pct == pytest.approx(200 / 3)


async def test_an_empty_window_has_zeroes_and_no_ratios(db_engine: AsyncEngine) -> None:
    quiet_day = datetime(2022, 9, 6, tzinfo=UTC)

    result = await report(db_engine, GroupBy.HOUR, start=quiet_day, end=quiet_day + timedelta(hours=3))

    assert len(result.groups) == 3  # every hour of the window is listed
    row = result.overall
    assert (row.answered, row.abandoned, row.handled, row.talk_s, row.ready_s) == (0, 0, 0, 0.0, 0.0)
    assert (row.asa_s, row.service_level_pct, row.aht_s, row.occupancy_pct, row.fcr_pct) == (None,) * 5


async def test_a_window_must_end_after_it_starts(db_engine: AsyncEngine) -> None:
    with pytest.raises(ValueError):
        await report(db_engine, GroupBy.OVERALL, start=END, end=END)


async def test_a_transferred_call_splits_hold_and_wrap_up_between_its_agents_and_queues(
    db_engine: AsyncEngine,
) -> None:
    day = datetime(2022, 9, 14, tzinfo=UTC)
    rec = Recorder(db_engine)
    billing, sales = await rec.queue("billing", 20), await rec.queue("sales", 20)
    ann, bob = await rec.agent("Ann"), await rec.agent("Bob")
    dave = str(uuid.uuid4())  # deleted since: only his history is left
    t1 = await rec.call(at("13:00:00", day), a_number(), ended_at=at("13:08:00", day))
    await rec.acd("Answered", t1, at("13:00:10", day), Queue=billing, AgentId=ann, WaitedS="10.000")
    await rec.event("Hold", t1, at("13:01:00", day), "t1-ann")
    await rec.event("Unhold", t1, at("13:02:00", day), "t1-ann")  # 60 s, ann's
    await rec.acd("Ended", t1, at("13:03:00", day), Queue=billing, AgentId=ann, TalkS="170.000")
    await rec.acd("Answered", t1, at("13:05:00", day), Queue=sales, AgentId=bob, WaitedS="300.000")
    await rec.event("Hold", t1, at("13:06:00", day), "t1-bob")
    await rec.event("Unhold", t1, at("13:06:30", day), "t1-bob")  # 30 s, bob's
    await rec.acd("Ended", t1, at("13:08:00", day), Queue=sales, AgentId=bob, TalkS="180.000")
    await rec.states(ann, (day + timedelta(hours=12), "ready", None), (at("13:00:10", day), "on_call", t1),
                     (at("13:03:00", day), "wrap_up", t1), (at("13:03:20", day), "ready", None))
    await rec.states(bob, (day + timedelta(hours=12), "ready", None), (at("13:05:00", day), "on_call", t1),
                     (at("13:08:00", day), "wrap_up", t1), (at("13:08:40", day), "ready", None))
    await rec.states(dave, (at("12:30:00", day), "ready", None), (at("13:30:00", day), "logged_out", None))
    window = {"start": day + timedelta(hours=13), "end": day + timedelta(hours=14), "now": day + timedelta(days=1)}

    per_agent = by_group(await report(db_engine, GroupBy.AGENT, **window))
    per_queue = by_group(await report(db_engine, GroupBy.QUEUE, **window))

    # each hold goes to the answer before it; each wrap-up to the queue of the part it follows
    assert (per_agent[ann].hold_s, per_agent[bob].hold_s) == (60.0, 30.0)
    assert (per_queue[billing].hold_s, per_queue[sales].hold_s) == (60.0, 30.0)
    assert (per_queue[billing].acw_s, per_queue[sales].acw_s) == (20.0, 40.0)
    assert (per_queue[billing].aht_s, per_queue[sales].aht_s) == (170 + 20, 180 + 40)
    # dave's row before the window is found through his rows inside it: ready 13:00-13:30
    assert (per_agent[dave].ready_s, per_agent[dave].logged_in_s, per_agent[dave].agent_name) == (1800.0, 1800.0, None)
    # answered twice, one call with a caller for FCR
    overall = (await report(db_engine, GroupBy.OVERALL, **window)).overall
    assert (overall.answered, overall.fcr_calls) == (2, 1)
