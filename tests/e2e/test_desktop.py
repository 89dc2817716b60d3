"""The agent desktop's stream (`/ws/agents/{id}`) on the real switch: a caller walks an IVR flow into the
ACD, the agent's page gets the offer at once and the screen-pop (customer, IVR path and collected
values, last interactions, open cases) right after, then the call's life; a page that reconnects gets
what it missed, once. Fixtures: tests/e2e/acd_env.py."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
import websockets

from ccserver.crm.agents import create_agent_api_key
from ccserver.crm.cases import create_case
from ccserver.crm.customers import PhoneInput, create_customer
from ccserver.crm.database import session_factory
from ccserver.events.model import call_key
from tests.e2e.acd_env import Env, enter_queue, ready, sim_agent, wait_events
from tests.e2e.switch import place_inbound_call

pytestmark = [pytest.mark.sandbox, pytest.mark.usefixtures("everyone_logged_out")]

CALLER_NUMBER = "+14155550163"


@pytest.fixture(scope="module")
def server(served: str) -> str:
    """The ws:// base URL of `env`'s app."""
    return served.replace("http://", "ws://", 1)


async def agent_key(env: Env, extension: str) -> str:
    async with session_factory(env.db_engine)() as session:
        _, key = await create_agent_api_key(session=session, agent_id=uuid.UUID(env.agents[extension]), name="desk")
    return key


class Page:
    """What an agent desktop page does with the stream: read frames, remember the last epoch and seq."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.epoch: str | None = None
        self.seq = 0
        self.seen: list[dict[str, Any]] = []

    async def until(self, kind: str, timeout: float = 30, **match: Any) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.connection.recv())
                if frame["kind"] == "heartbeat":
                    continue
                self.epoch, self.seq = frame["epoch"], frame["seq"]
                self.seen.append(frame)
                data = frame.get("data", {})
                if frame["kind"] == kind and all(data.get(k) == v for k, v in match.items()):
                    return frame


async def test_the_agent_s_page_gets_the_offer_then_the_screen_pop_then_the_call(env: Env, server: str) -> None:
    async with session_factory(env.db_engine)() as session:
        customer = await create_customer(
            session=session, name="Pia Popup", account_number=f"PP{uuid.uuid4().hex[:8]}", tier="gold", language="en",
            default_region="US", phones=[PhoneInput(CALLER_NUMBER, "mobile")],
        )
        case = await create_case(session=session, subject="Router keeps rebooting", customer_id=customer.id,
                                 created_by="e2e")
    key = await agent_key(env, "7103")
    await sim_agent(env.link, "7103", ring=2, talk=3)
    async with websockets.connect(f"{server}/ws/agents/{env.agents['7103']}?key={key}") as connection:
        page = Page(connection)
        snapshot = await page.until("snapshot")
        assert snapshot["data"]["state"]["state"] == "logged_out" and snapshot["data"]["call"] is None
        await ready(env, "7103")
        await page.until("state", state="ready")

        linkedid = await place_inbound_call(env.link, did="20199", caller_stays=30, flow="e2e_support",
                                            keys="ww41001009", caller_id=f'"Pia Popup" <{CALLER_NUMBER}>')
        call_id = str(call_key("sandbox", linkedid))
        offer = await page.until("offer", call_id=call_id)
        assert offer["data"]["queue"] == "e2e_tech" and offer["data"]["caller_number"] == CALLER_NUMBER
        pop = (await page.until("screenpop", call_id=call_id))["data"]
        assert pop["customer"]["name"] == "Pia Popup" and pop["customer"]["tier"] == "gold"
        assert pop["ivr"]["flow"] == "e2e_support" and pop["ivr"]["collected"] == {"account": "41001009"}
        assert pop["ivr"]["path"][:2] == ["e2e_support:account", "e2e_support:support"]
        assert [c["subject"] for c in pop["open_cases"]] == [case.case.subject]
        assert pop["crm_url"] == f"https://crm.example/cust?phone=%2B14155550163&acct={customer.account_number}"
        await page.until("answered", call_id=call_id)
        await page.until("ended", call_id=call_id)
        kinds = [f["kind"] for f in page.seen]
        assert kinds.index("offer") < kinds.index("screenpop") < kinds.index("answered") < kinds.index("ended")
        assert [f["seq"] for f in page.seen] == sorted({f["seq"] for f in page.seen})  # numbered, no repeats
    await wait_events(env, call_id, "Ended")


async def test_a_page_that_reconnects_gets_what_it_missed_once(env: Env, server: str) -> None:
    key = await agent_key(env, "7104")
    await sim_agent(env.link, "7104", ring=1, talk=2)
    url = f"{server}/ws/agents/{env.agents['7104']}?key={key}"
    async with websockets.connect(url) as connection:
        page = Page(connection)
        await page.until("snapshot")
        await ready(env, "7104")
        await page.until("state", state="ready")
        epoch, seen_up_to = page.epoch, page.seq
    # the page is gone (a network blip) while a call comes and goes
    linkedid = await place_inbound_call(env.link, did="20199", caller_stays=30, flow="e2e_support",
                                        keys="ww41001009")
    call_id = str(call_key("sandbox", linkedid))
    await wait_events(env, call_id, "Ended", timeout=40)
    async with websockets.connect(f"{url}&epoch={epoch}&after={seen_up_to}") as connection:
        page = Page(connection)
        await page.until("ended", call_id=call_id)
        kinds = [f["kind"] for f in page.seen]
        assert "snapshot" not in kinds  # resumed, not started over
        assert {"offer", "screenpop", "answered", "ended"} <= set(kinds)
        assert page.seen[0]["seq"] == seen_up_to + 1
    async with websockets.connect(f"{url}&epoch=another-process&after={seen_up_to}") as connection:
        page = Page(connection)
        snapshot = await page.until("snapshot")  # another epoch: start again from where the agent stands
        assert snapshot["data"]["state"]["state"] in ("ready", "wrap_up")


async def test_only_the_agent_or_a_supervisor_may_listen(env: Env, server: str) -> None:
    other = await agent_key(env, "7101")
    for query, code in ((f"?key={other}", 4403), ("", 4401), ("?key=ccs_nope", 4401)):
        async with websockets.connect(f"{server}/ws/agents/{env.agents['7103']}{query}") as connection:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await connection.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == code
    async with websockets.connect(f"{server}/ws/agents/{env.agents['7103']}?key={env.api_key}") as connection:
        assert json.loads(await connection.recv())["kind"] == "snapshot"  # a supervisor's key


async def test_the_agent_s_desktop_transfers_the_call_to_another_queue(env: Env) -> None:
    key = await agent_key(env, "7103")
    await sim_agent(env.link, "7103", ring=1, talk=30)
    await sim_agent(env.link, "7101", ring=1, talk=2)
    await ready(env, "7103")
    call_id = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, call_id, "Answered")
    headers = {"Authorization": f"Bearer {key}"}  # the agent's own key, as the desktop page has it
    busy = await env.http.post(f"/api/v1/agents/{env.agents['7104']}/transfer", json={"queue": "e2e_billing"},
                               headers={"Authorization": f"Bearer {env.api_key}"})
    assert busy.status_code == 409  # 7104 is not on a call
    response = await env.http.post(f"/api/v1/agents/{env.agents['7103']}/transfer", json={"queue": "e2e_billing"},
                                   headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["call_id"] == call_id
    await wait_events(env, call_id, "Transferred")
    await ready(env, "7101")
    events = await wait_events(env, call_id, "Ended", times=2, timeout=30)
    assert [e for e in events if e in ("TransferAsked", "Transferred", "Queued", "Answered")] == [
        "Queued", "Answered", "TransferAsked", "Transferred", "Queued", "Answered"]
