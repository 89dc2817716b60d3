"""Test data for the browser tests: an agent with a SIP password, a not-ready reason, a known caller (with a
past call, its disposition and an open case), the IVR pass that caller made, and a contact center for the
wallboard and the desktop: a real routing engine on the real clock behind the API's `LiveAcdDesk`, which
records the transfers, monitors and state changes the pages asked for."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.acd.agent_requests import events_for_request
from ccserver.acd.live_view import LiveWallboard, live_wallboard
from ccserver.acd.places import AgentNotRouted
from ccserver.acd.supervision import MonitorPlan, NotOnACall
from ccserver.crm.acd_config import create_reason
from ccserver.crm.agents import Agent as AgentRecord
from ccserver.crm.agents import create_agent
from ccserver.crm.cases import create_case
from ccserver.crm.customers import Customer, PhoneInput, create_customer
from ccserver.crm.dispositions import set_call_disposition
from ccserver.crm.tables import calls
from ccserver.events.model import IvrSession
from ccserver.routing import Agent, Login, NotReady, Queue, RoutingEngine, WaitingCall
from ccserver.routing.model import AgentStatus

PASSWORD = "correct-horse-7"

Sessions = Callable[[], AsyncSession]


def unique(prefix: str) -> str:
    """A name no other test uses (the test database is shared)."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def an_agent(sessions: Sessions, name: str = "Grace Hopper") -> AgentRecord:
    async with sessions() as session:
        extension = str(random.randint(10**8, 10**9 - 1))
        return await create_agent(session=session, extension=extension, name=name, sip_password=PASSWORD)


async def sign_in_at_the_desk(page: Page, url: str, agent: AgentRecord) -> None:
    """/agent with the softphone's extension and password, until the desktop's stream is live."""
    await page.goto(f"{url}/agent")
    await page.get_by_test_id("signin-extension").fill(agent.extension)
    await page.get_by_test_id("signin-password").fill(PASSWORD)
    await page.get_by_test_id("signin-password").press("Enter")
    await expect(page.get_by_test_id("agent-name")).to_have_text(f"{agent.name} · {agent.extension}")
    await expect(page.get_by_test_id("connection")).to_have_text("live")


async def a_reason(sessions: Sessions, label: str = "Coffee break") -> str:
    async with sessions() as session:
        return (await create_reason(session=session, code=unique("coffee"), label=label)).code


@dataclass(frozen=True)
class KnownCaller:
    customer: Customer
    phone: str  # E.164
    case_subject: str
    last_call_notes: str


async def a_known_caller(sessions: Sessions) -> KnownCaller:
    """Margaret Hamilton, gold tier: one answered call last week (disposition "resolved") and an open case."""
    phone = f"+1212{random.randint(2_000_000, 9_999_999)}"
    async with sessions() as session:
        customer = await create_customer(
            session=session, name="Margaret Hamilton", default_region="US", account_number="AC-1042", tier="gold",
            phones=[PhoneInput(phone, "mobile")],
        )
        last_week = datetime.now(UTC) - timedelta(days=6)
        call_id = uuid.uuid4()
        await session.execute(insert(calls).values(
            id=call_id, switch_id=unique("pbx"), linkedid=f"{last_week.timestamp():.6f}", direction="inbound",
            state="ended", outcome="answered", caller_number=phone, caller_e164=phone, customer_id=customer.id,
            started_at=last_week, answered_at=last_week + timedelta(seconds=20),
            ended_at=last_week + timedelta(minutes=6),
        ))
        await session.commit()
        await set_call_disposition(session=session, call_id=call_id, code="resolved", notes="Refund issued")
        subject = "Invoice 1042 charged twice"
        await create_case(session=session, subject=subject, created_by="key:crm-sync", customer_id=customer.id,
                          priority=2, sla_due_at=datetime.now(UTC) + timedelta(days=1))
    return KnownCaller(customer, phone, subject, "Refund issued")


def ivr_pass(call_id: uuid.UUID, caller: KnownCaller) -> IvrSession:
    """The caller's way through the main menu: English, billing, typed their account number."""
    return IvrSession(
        id=uuid.uuid4(), call_id=call_id, switch_id="pbx1", uniqueid="1700000000.1", linkedid="1700000000.1",
        flow="main", flow_version="3", started_at=datetime.now(UTC), language="en",
        path=["welcome", "language", "main_menu", "billing", "account_lookup"],
        collected={"account_number": "AC-1042", "intent": "billing"}, routing={"queue": "billing"},
        customer_id=caller.customer.id, outcome="queued",
    )


# ---- the running ACD, as the pages reach it --------------------------------------------------------------

@dataclass(frozen=True)
class Asked:
    """What the API asked of the ACD for a page: `what` is "transfer", "monitor" or "state"."""

    what: str
    agent_id: str
    details: dict[str, object]


class CenterDesk:
    """The running ACD as the API sees it (`LiveAcdDesk`), over a real routing engine and the real clock.
    State changes go through the engine as the ACD's do; a monitor or a transfer is only recorded (there is
    no switch): each fails as the ACD's does for an agent with no connected call or an unknown queue."""

    loaded = True

    def __init__(self, engine: RoutingEngine) -> None:
        self.engine = engine
        self.asked: list[Asked] = []

    def config_changed(self) -> None:
        pass

    async def request_state(
        self, agent_id: str, state: str, reason: str | None, source: str, *, extend_s: float | None = None
    ) -> AgentStatus:
        if agent_id not in self.engine.agents:
            raise AgentNotRouted(agent_id)
        self.asked.append(Asked("state", agent_id, {"state": state, "reason": reason, "source": source}))
        for event in events_for_request(self.engine.status(agent_id), state, reason, extend_s):
            self.engine.agent_changed(agent_id, event, time.time())
        return self.engine.status(agent_id)

    def wallboard(self) -> LiveWallboard:
        return live_wallboard(self.engine, time.time())

    def agent_now(self, agent_id: str) -> dict[str, object] | None:
        return None

    async def monitor(self, agent_id: str, mode: str, supervisor_extension: str, by: str) -> MonitorPlan:
        call_id = self._connected_call(agent_id)
        self.asked.append(Asked("monitor", agent_id, {"mode": mode, "extension": supervisor_extension, "by": by}))
        channel = f"PJSIP/{self.engine.agents[agent_id].extension}-0000002a"
        return MonitorPlan(call_id, "pbx1", call_id, channel, {})

    async def transfer(self, agent_id: str, *, queue: str | None, extension: str | None, by: str) -> str:
        if queue is not None and queue not in self.engine.queues:
            raise KeyError(f"queue {queue}")
        call_id = self._connected_call(agent_id)
        self.asked.append(Asked("transfer", agent_id, {"queue": queue, "extension": extension, "by": by}))
        return call_id

    def _connected_call(self, agent_id: str) -> str:
        status = self.engine.status(agent_id)  # KeyError: not an agent of this center
        if not status.connected:
            raise NotOnACall(f"the agent is {status.state}, not on a call")
        return status.connected[0]


def a_call_in_hand(agent: AgentRecord, queues: list[str], *, answered: bool = True) -> tuple[CenterDesk, str]:
    """A center routing `queues` where `agent` took a call of the first one 40 s ago (or, `answered=False`,
    whose call is gone already: the agent is ready again). (the desk, the call's id)"""
    agent_id, call_id, now = str(agent.id), str(uuid.uuid4()), time.time()
    engine = RoutingEngine(queues=[Queue(name, skills={"billing": 1}) for name in queues],
                           agents=[Agent(agent_id, agent.extension, agent.name, {"billing": 5})])
    engine.agent_changed(agent_id, Login(ready=True), now - 600)
    if answered:
        engine.call_arrived(WaitingCall(call_id, queues[0], enqueued_at=now - 50), now - 50)
        engine.offer_answered(call_id, now - 40)
    return CenterDesk(engine), call_id


@dataclass(frozen=True)
class Center:
    desk: CenterDesk
    billing: str
    sales: str
    support: str
    agent_ids: dict[str, str]  # first name ("ann") -> id


def busy_center() -> Center:
    """Now: Ann talks to a billing caller (6 min), Cid's phone rings with another, two billing callers hold
    (48 s and 20 s) beside a callback request; Dee wraps up a sales call; Bob is at lunch; Eve waits for
    support calls."""
    billing, sales, support = unique("billing"), unique("sales"), unique("support")
    ids = {name: str(uuid.uuid4()) for name in ("ann", "bob", "cid", "dee", "eve")}
    c1, c2, c3, c4, c5, c6 = (str(uuid.uuid4()) for _ in range(6))
    engine = RoutingEngine(
        queues=[Queue(billing, skills={"billing": 5}, sl_threshold_s=20.0, sl_target_pct=80.0),
                Queue(sales, skills={"sales": 1}, sl_threshold_s=30.0, sl_target_pct=85.0, wrapup_s=60.0),
                Queue(support, skills={"support": 1}, sl_threshold_s=60.0, sl_target_pct=70.0)],
        agents=[Agent(ids["ann"], "2001", "Ann Lee", {"billing": 9}),
                Agent(ids["bob"], "2002", "Bob Stone", {"billing": 5}),
                Agent(ids["cid"], "2003", "Cid Moreno", {"billing": 6}),
                Agent(ids["dee"], "2004", "Dee Park", {"sales": 8}),
                Agent(ids["eve"], "2005", "Eve Adams", {"support": 6})],
    )
    now = time.time()
    for agent_id in ids.values():
        engine.agent_changed(agent_id, Login(ready=True), now - 3 * 3600)
    engine.agent_changed(ids["bob"], NotReady("lunch"), now - 1500)
    engine.call_arrived(WaitingCall(c1, billing, enqueued_at=now - 400), now - 400)  # to Ann, most skilled
    engine.offer_answered(c1, now - 392)
    engine.call_arrived(WaitingCall(c2, sales, enqueued_at=now - 200), now - 200)  # to Dee
    engine.offer_answered(c2, now - 190)
    engine.call_arrived(WaitingCall(c3, billing, enqueued_at=now - 95), now - 95)  # rings at Cid
    engine.call_arrived(WaitingCall(c4, billing, enqueued_at=now - 70), now - 70)
    engine.call_arrived(WaitingCall(c5, billing, enqueued_at=now - 48), now - 48)
    engine.callback_requested(c4, now - 30)
    engine.call_ended(c2, now - 25)
    engine.call_arrived(WaitingCall(c6, billing, enqueued_at=now - 20), now - 20)
    return Center(CenterDesk(engine), billing, sales, support, ids)
