"""Test data for the browser tests: an agent with a SIP password, a not-ready reason, a known caller (with a
past call, its disposition and an open case), the IVR pass that caller made, and a busy center for the
wallboard: a real routing engine on the real clock behind the API's `LiveAcdDesk`."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.acd.live_view import LiveWallboard, live_wallboard
from ccserver.crm.acd_config import create_reason
from ccserver.crm.agents import Agent as AgentRecord
from ccserver.crm.agents import create_agent
from ccserver.crm.cases import create_case
from ccserver.crm.customers import Customer, PhoneInput, create_customer
from ccserver.crm.dispositions import set_call_disposition
from ccserver.crm.tables import calls
from ccserver.events.model import IvrSession
from ccserver.routing import Agent, Login, NotReady, Queue, RoutingEngine, WaitingCall

PASSWORD = "correct-horse-7"

Sessions = Callable[[], AsyncSession]


def unique(prefix: str) -> str:
    """A name no other test uses (the test database is shared)."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def an_agent(sessions: Sessions, name: str = "Grace Hopper") -> AgentRecord:
    async with sessions() as session:
        extension = str(random.randint(10**8, 10**9 - 1))
        return await create_agent(session=session, extension=extension, name=name, sip_password=PASSWORD)


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


# ---- the wallboard's center -------------------------------------------------------------------------------

class CenterDesk:
    """The running ACD as the API sees it (`LiveAcdDesk`), over a real routing engine and the real clock."""

    loaded = True

    def __init__(self, engine: RoutingEngine) -> None:
        self.engine = engine

    def config_changed(self) -> None:
        pass

    async def request_state(
        self, agent_id: str, state: str, reason: str | None, source: str, *, extend_s: float | None = None
    ) -> object:
        raise AssertionError("the wallboard only reads")

    def wallboard(self) -> LiveWallboard:
        return live_wallboard(self.engine, time.time())

    def agent_now(self, agent_id: str) -> dict[str, object] | None:
        return None


@dataclass(frozen=True)
class Center:
    desk: CenterDesk
    billing: str
    sales: str
    support: str


def busy_center() -> Center:
    """Now: Ann talks to a billing caller (6 min), Cid's phone rings with another, two billing callers hold
    (48 s and 20 s) beside a callback request; Dee wraps up a sales call; Bob is at lunch; Eve waits for
    support calls."""
    billing, sales, support = unique("billing"), unique("sales"), unique("support")
    engine = RoutingEngine(
        queues=[Queue(billing, skills={"billing": 5}, sl_threshold_s=20.0, sl_target_pct=80.0),
                Queue(sales, skills={"sales": 1}, sl_threshold_s=30.0, sl_target_pct=85.0, wrapup_s=60.0),
                Queue(support, skills={"support": 1}, sl_threshold_s=60.0, sl_target_pct=70.0)],
        agents=[Agent("a-ann", "2001", "Ann Lee", {"billing": 9}), Agent("a-bob", "2002", "Bob Stone", {"billing": 5}),
                Agent("a-cid", "2003", "Cid Moreno", {"billing": 6}), Agent("a-dee", "2004", "Dee Park", {"sales": 8}),
                Agent("a-eve", "2005", "Eve Adams", {"support": 6})],
    )
    now = time.time()
    for agent_id in ("a-ann", "a-bob", "a-cid", "a-dee", "a-eve"):
        engine.agent_changed(agent_id, Login(ready=True), now - 3 * 3600)
    engine.agent_changed("a-bob", NotReady("lunch"), now - 1500)
    engine.call_arrived(WaitingCall("c1", billing, enqueued_at=now - 400), now - 400)  # to Ann, most skilled
    engine.offer_answered("c1", now - 392)
    engine.call_arrived(WaitingCall("c2", sales, enqueued_at=now - 200), now - 200)  # to Dee
    engine.offer_answered("c2", now - 190)
    engine.call_arrived(WaitingCall("c3", billing, enqueued_at=now - 95), now - 95)  # rings at Cid
    engine.call_arrived(WaitingCall("c4", billing, enqueued_at=now - 70), now - 70)
    engine.call_arrived(WaitingCall("c5", billing, enqueued_at=now - 48), now - 48)
    engine.callback_requested("c4", now - 30)
    engine.call_ended("c2", now - 25)
    engine.call_arrived(WaitingCall("c6", billing, enqueued_at=now - 20), now - 20)
    return Center(CenterDesk(engine), billing, sales, support)
