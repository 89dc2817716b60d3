"""What fills the agents' desktop streams: the live ACD's offers, answers, ends and state changes
(`LiveAcd.listeners`), and for each offer the screen-pop's details, looked up without holding the offer.

An `offer` goes out the moment the ACD rings the agent (who is calling, from which queue, since when);
the `screenpop` follows once the customer, the IVR path, recent interactions and open cases are read
(a few milliseconds): the page shows the first at once and fills in the second.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm.acd_model import screenpop_url
from ccserver.crm.cases import open_cases_for_customer
from ccserver.crm.customers import Customer, find_by_phone, get_customer
from ccserver.crm.dispositions import recent_interactions
from ccserver.crm.errors import NotFound
from ccserver.crm.queues import get_queue
from ccserver.desktop.feed import AgentFeed
from ccserver.events.model import IvrSession
from ccserver.tasks import TaskSet

log = logging.getLogger(__name__)

# (session, customer id) -> rows for the pop: the customer's last calls, their open cases.
CustomerRows = Callable[[AsyncSession, uuid.UUID], Awaitable[list[dict[str, Any]]]]


class Desktop:
    """A `LiveAcd` listener that publishes on the agents' feeds."""

    def __init__(
        self, *, feed: AgentFeed, sessions: Callable[[], AsyncSession], default_region: str,
        ivr_session: Callable[[uuid.UUID], IvrSession | None], history: CustomerRows, cases: CustomerRows,
    ) -> None:
        self.feed = feed
        self._sessions = sessions
        self._default_region = default_region
        self._ivr_session = ivr_session
        self._history = history
        self._open_cases = cases
        self._tasks = TaskSet()  # screen-pops being looked up
        self.pops_failed = 0

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        agent_id = str(data["agent_id"])
        self.feed.publish(agent_id, kind, {k: v for k, v in data.items() if k != "agent_id"})
        if kind == "offer":
            self._tasks.spawn(self._pop(agent_id, data))

    async def _pop(self, agent_id: str, offer: dict[str, Any]) -> None:
        try:
            details = await self.details(offer)
        except Exception:
            self.pops_failed += 1
            log.exception("screen-pop details for call %s not found", offer["call_id"])
            details = {"error": "the customer's details could not be read"}
        self.feed.publish(agent_id, "screenpop", {"call_id": offer["call_id"], **details})

    async def details(self, offer: dict[str, Any]) -> dict[str, Any]:
        """The IVR pass, the customer (from the IVR's lookup, else by the caller's number), their last
        interactions and open cases."""
        ivr = self._ivr_session(uuid.UUID(offer["call_id"]))
        async with self._sessions() as session:
            customer = await self._customer(session, ivr, offer.get("caller_number") or "")
            history = [] if customer is None else [
                row for row in await self._history(session, customer.id) if str(row.get("call_id")) != offer["call_id"]
            ]
            cases = [] if customer is None else await self._open_cases(session, customer.id)
            crm_url = await _crm_url(session, offer, customer)
        return {
            "crm_url": crm_url,
            "ivr": None if ivr is None else {
                "flow": ivr.flow, "path": list(ivr.path), "collected": dict(ivr.collected), "language": ivr.language,
                "routing": dict(ivr.routing), "outcome": ivr.outcome,
            },
            "customer": None if customer is None else _customer(customer),
            "history": history,
            "open_cases": cases,
        }

    async def _customer(self, session: AsyncSession, ivr: IvrSession | None, number: str) -> Customer | None:
        if ivr is not None and ivr.customer_id is not None:
            try:
                return await get_customer(session=session, customer_id=ivr.customer_id)
            except NotFound:
                pass
        if not number:
            return None
        found = await find_by_phone(session=session, phone=number, default_region=self._default_region, limit=1)
        return found[0] if found else None

    async def close(self) -> None:
        await self._tasks.close()


async def _crm_url(session: AsyncSession, offer: dict[str, Any], customer: Customer | None) -> str | None:
    """The queue's external CRM page for this call (`screenpop_url`), if it has one."""
    try:
        template = (await get_queue(session=session, name=offer["queue"])).config.screenpop_url
    except NotFound:
        return None
    if template is None:
        return None
    return screenpop_url(template, {
        "caller": offer.get("caller_number"), "call_id": offer["call_id"], "queue": offer["queue"],
        "account": None if customer is None else customer.account_number,
        "customer_id": None if customer is None else str(customer.id),
    })


def _customer(customer: Customer) -> dict[str, Any]:
    return {
        "id": str(customer.id), "name": customer.name, "account_number": customer.account_number,
        "tier": customer.tier, "language": customer.language,
        "phones": [{"number": p.e164 or p.value, "label": p.label} for p in customer.phones],
    }


async def recent_calls(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """The customer's last calls with their dispositions (the pop leaves out the call being offered)."""
    return [asdict(row) for row in await recent_interactions(session=session, customer_id=customer_id, limit=6)]


async def open_cases(session: AsyncSession, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    return [asdict(case) for case in await open_cases_for_customer(session=session, customer_id=customer_id)]
