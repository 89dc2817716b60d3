"""The live ACD on the real switch: callers hold in [ccserver-acd], ccserver picks the agent, the agent's
phone rings ([sim-agent]: a Local channel that rings, answers, talks and hangs up as SIM_AGENT_<ext>
says), and what happened lands in PostgreSQL (decisions, agent state log, call events) and over REST.

Skills and queues here are named `e2e_*` so agents other tests leave in the shared database never qualify.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.acd.service import Acd
from ccserver.api.app import create_app
from ccserver.asterisk.ami_link import AmiLink
from ccserver.backbone import Backbone
from ccserver.bench.harness import wait_until
from ccserver.crm.acd_file import load_acd, read_acd_file
from ccserver.crm.database import session_factory
from ccserver.events.model import call_key
from ccserver.main import Ivr
from ccserver.supervisor import Supervisor

pytestmark = pytest.mark.sandbox

PROJECT_DIR = Path(__file__).resolve().parents[2]
CALLER = '"Vera Queue" <+14155550142>'

ACD_YAML = """
skills:
  e2e_billing: Billing (e2e)
  e2e_tech: Technical (e2e)
not_ready_reasons:
  break: {label: Break}
  missed: {label: Missed an offered call}
queues:
  e2e_billing:
    priority: 10
    required_skills: {e2e_billing: 5}
    wrapup_s: 3
    strategy: most_skilled
    announce_every_s: 30
  e2e_relax:
    required_skills: {e2e_billing: 5}
    strategy: longest_idle
    escalation:
      - {after_s: 3, action: relax_skill, skill: e2e_billing, min_level: 3}
  e2e_tech:
    required_skills: {e2e_tech: 1}
    wrapup_s: 0
    strategy: longest_idle
agents:
  "7101": {name: Ada Expert, sip_password: e2e-7101-secret, skills: {e2e_billing: 9}}
  "7102": {name: Ben Junior, sip_password: e2e-7102-secret, skills: {e2e_billing: 3}}
  "7103": {name: Cleo Tech, sip_password: e2e-7103-secret, skills: {e2e_tech: 5}}
  "7104": {name: Dan Tech, sip_password: e2e-7104-secret, skills: {e2e_tech: 5}}
"""


@dataclass
class Env:
    acd: Acd
    link: AmiLink
    db: asyncpg.Connection
    agents: dict[str, str]  # extension -> agent id
    http: httpx.AsyncClient


@pytest.fixture(scope="module")
async def env(
    backbone: Backbone, db_engine: AsyncEngine, asyncpg_dsn: str, tmp_path_factory: pytest.TempPathFactory,
    api_key_factory: Any,
) -> AsyncIterator[Env]:
    path = tmp_path_factory.mktemp("acd") / "acd.yaml"
    path.write_text(ACD_YAML)
    spec, problems = read_acd_file(path)
    assert problems == [] and spec is not None
    sessions = session_factory(db_engine)
    async with sessions() as session:
        await load_acd(session=session, spec=spec)
    acd = Acd(backbone=backbone, sessions=sessions)
    supervisor = Supervisor()
    await acd.start(supervisor)
    assert acd.loaded
    ivr = Ivr(backbone.settings.model_copy(update={"ivr_dir": PROJECT_DIR / "dialplans" / "ivr"}), backbone,
              db_engine, acd)
    await ivr.server.start()
    db = await asyncpg.connect(asyncpg_dsn)
    rows = await db.fetch("SELECT id, extension FROM agents WHERE extension LIKE '71__'")
    app = create_app(settings=backbone.settings, engine=db_engine, live_acd=acd)
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ccserver",
        headers={"Authorization": f"Bearer {await api_key_factory('supervisor')}"},
    )
    link = backbone.switches["sandbox"].link
    try:
        yield Env(acd=acd, link=link, db=db, agents={r["extension"]: str(r["id"]) for r in rows}, http=http)
    finally:
        for agent_id in [str(r["id"]) for r in rows]:
            if acd.live.engine.status(agent_id).state != "logged_out":
                await acd.request_state(agent_id, "logged_out", None, "supervisor")
        await http.aclose()
        await db.close()
        await ivr.server.close()
        await acd.live.close()
        await acd.store.flush()
        await supervisor.stop()


@pytest.fixture(autouse=True)
async def everyone_logged_out(env: Env) -> AsyncIterator[None]:
    yield
    for agent_id in env.agents.values():
        if env.acd.live.engine.status(agent_id).state not in ("logged_out", "reserved", "on_call"):
            await env.acd.request_state(agent_id, "logged_out", None, "supervisor")
    await wait_until(lambda: env.acd.live.engine.waiting_count == 0 and not env.acd.live._places, timeout=30)


async def sim_agent(link: AmiLink, extension: str, *, ring: int, talk: int) -> None:
    await link.action({"Action": "Setvar", "Variable": f"SIM_AGENT_{extension}", "Value": f"{ring},{talk}"})


async def enter_queue(
    link: AmiLink, queue: str, *, stays: int, skills: str = "", priority: int = 0, keys: str | None = None,
) -> str:
    """A caller handed to the ACD (as the IVR does): the call's id in ccserver."""
    variables = [f"CCSERVER_QUEUE={queue}", f"CCSERVER_SKILLS={skills}", f"CCSERVER_PRIORITY={priority}"]
    if keys is not None:
        variables.append(f"CALLER_DTMF={keys}")
    reply = await link.action({
        "Action": "Originate", "Channel": f"Local/{stays}@{'sim-caller' if keys is None else 'sim-ivr-caller'}",
        "Context": "ccserver-acd", "Exten": "s", "Priority": "1", "CallerID": CALLER,
        "Variable": ",".join(variables),
    }, timeout=15)
    assert reply[-1].get("Response") == "Success", reply[-1]
    return str(call_key("sandbox", str(reply[-1]["Uniqueid"])))


async def ready(env: Env, extension: str) -> None:
    response = await env.http.post(f"/api/v1/agents/{env.agents[extension]}/state", json={"state": "ready"})
    assert response.status_code == 200, response.text
    assert response.json()["state"] in ("ready", "reserved")


def state_of(env: Env, extension: str) -> str:
    return env.acd.live.engine.status(env.agents[extension]).state


async def acd_events(env: Env, call_id: str) -> list[str]:
    rows = await env.db.fetch(
        "SELECT event FROM call_events WHERE call_id = $1 AND event LIKE 'ccserver.Acd%' ORDER BY id", call_id
    )
    return [r["event"].removeprefix("ccserver.Acd") for r in rows]


async def agent_log(env: Env, extension: str, since: float) -> list[tuple[str, str, str | None]]:
    rows = await env.db.fetch(
        "SELECT from_state, to_state, reason FROM agent_state_log WHERE agent_id = $1 AND at >= to_timestamp($2) "
        "ORDER BY id", env.agents[extension], since,
    )
    return [(r["from_state"], r["to_state"], r["reason"]) for r in rows]


async def wait_events(env: Env, call_id: str, *wanted: str, timeout: float = 30) -> list[str]:
    async def arrived() -> bool:
        events = await acd_events(env, call_id)
        return all(w in events for w in wanted)

    await wait_until(arrived, timeout=timeout)
    return await acd_events(env, call_id)


async def test_the_best_skilled_ready_agent_takes_the_call_then_wraps_up(env: Env) -> None:
    started = time.time()
    await sim_agent(env.link, "7101", ring=1, talk=3)
    await ready(env, "7101")
    await ready(env, "7102")
    call_id = await enter_queue(env.link, "e2e_billing", stays=30)

    events = await wait_events(env, call_id, "Ended")
    assert events[:4] == ["Queued", "Offered", "Answered", "Ended"]
    decision = await env.db.fetchrow("SELECT * FROM routing_decisions WHERE call_id = $1 ORDER BY id LIMIT 1", call_id)
    assert str(decision["chosen_agent_id"]) == env.agents["7101"] and decision["trigger"] == "call_arrived"
    assert '"e2e_billing 3 < 5"' in decision["excluded"] or "e2e_billing 3 < 5" in str(decision["excluded"])

    await wait_until(lambda: state_of(env, "7101") == "ready", timeout=15)  # after 3 s of wrap-up
    await env.acd.store.flush()
    states = [(f, t) for f, t, _ in await agent_log(env, "7101", started)]
    assert states[-4:] == [("ready", "reserved"), ("reserved", "on_call"), ("on_call", "wrap_up"), ("wrap_up", "ready")]
    assert await env.db.fetchval("SELECT count(*) FROM acd_waiting WHERE call_id = $1", call_id) == 0

    routing = await env.http.get(f"/api/v1/calls/{call_id}/routing")
    assert routing.status_code == 200, routing.text
    assert routing.json()[0]["chosen_agent_id"] == env.agents["7101"]


async def test_ring_no_answer_requeues_at_the_head_and_the_agent_goes_missed(env: Env) -> None:
    started = time.time()
    await sim_agent(env.link, "7103", ring=600, talk=0)  # never answers; the sandbox rings 6 s
    await sim_agent(env.link, "7104", ring=1, talk=2)
    await ready(env, "7103")
    call_id = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, call_id, "Offered")
    await wait_events(env, call_id, "Requeued", timeout=20)
    assert state_of(env, "7103") == "not_ready"
    assert env.acd.live.engine.status(env.agents["7103"]).reason == "missed"
    await ready(env, "7104")
    events = await wait_events(env, call_id, "Ended")
    assert events[:6] == ["Queued", "Offered", "Requeued", "Offered", "Answered", "Ended"]
    triggers = [r["trigger"] for r in await env.db.fetch(
        "SELECT trigger FROM routing_decisions WHERE call_id = $1 ORDER BY id", call_id)]
    assert triggers[0] == "call_arrived" and "requeued" in triggers
    await env.acd.store.flush()
    assert ("reserved", "not_ready", "missed") in await agent_log(env, "7103", started)


async def test_a_caller_who_hangs_up_while_waiting_is_an_abandon_with_its_wait(env: Env) -> None:
    call_id = await enter_queue(env.link, "e2e_tech", stays=3)
    await wait_events(env, call_id, "Left", timeout=20)
    raw = await env.db.fetchval(
        "SELECT raw FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdLeft'", call_id)
    headers = json.loads(raw)
    assert headers["Reason"] == "abandoned"
    assert 1.0 < float(headers["WaitedS"]) < 10.0
    assert await env.db.fetchval("SELECT count(*) FROM acd_waiting WHERE call_id = $1", call_id) == 0


async def test_higher_priority_is_served_first_and_equal_priority_in_arrival_order(env: Env) -> None:
    await sim_agent(env.link, "7103", ring=1, talk=2)
    first = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, first, "Queued")
    second = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, second, "Queued")
    urgent = await enter_queue(env.link, "e2e_tech", stays=40, priority=50)
    await wait_events(env, urgent, "Queued")
    await env.acd.store.flush()
    held = await env.db.fetchval("SELECT count(*) FROM acd_waiting WHERE call_id = ANY($1::uuid[])",
                                 [first, second, urgent])
    assert held == 3  # on record while they wait: what a restart picks up
    await ready(env, "7103")
    for call_id in (first, second, urgent):
        await wait_events(env, call_id, "Ended", timeout=40)
    offered = await env.db.fetch(
        "SELECT call_id FROM call_events WHERE call_id = ANY($1::uuid[]) AND event = 'ccserver.AcdOffered' ORDER BY id",
        [first, second, urgent])
    assert [str(r["call_id"]) for r in offered] == [urgent, first, second]


async def test_escalation_relaxes_the_skill_after_its_time(env: Env) -> None:
    await sim_agent(env.link, "7102", ring=1, talk=2)
    await ready(env, "7102")  # billing 3: not enough for 5 at first
    entered = time.time()
    call_id = await enter_queue(env.link, "e2e_relax", stays=30)
    events = await wait_events(env, call_id, "Answered", timeout=20)
    assert events[:4] == ["Queued", "Escalated", "Offered", "Answered"]
    chosen = await env.db.fetchrow(
        "SELECT decided_at, step, trigger FROM routing_decisions WHERE call_id = $1 AND chosen_agent_id IS NOT NULL",
        call_id)
    assert chosen["trigger"] == "escalation" and chosen["decided_at"].timestamp() - entered >= 2.5


async def test_a_callback_request_keeps_its_place_and_the_agent_calls_back(env: Env) -> None:
    await sim_agent(env.link, "7103", ring=1, talk=3)
    call_id = await enter_queue(env.link, "e2e_tech", stays=20, keys="ww1")  # presses 1 while holding
    await wait_events(env, call_id, "CallbackRequested", timeout=20)
    await wait_until(lambda: env.acd.live.place_of(call_id) is not None
                     and env.acd.live.place_of(call_id).channel is None, timeout=20)  # the caller hung up
    assert env.acd.live.engine.is_waiting(call_id)
    row = await env.db.fetchrow("SELECT callback, callback_number, state FROM acd_waiting WHERE call_id = $1", call_id)
    assert row["callback"] and row["callback_number"] == "+14155550142" and row["state"] == "callback_pending"
    await ready(env, "7103")
    events = await wait_events(env, call_id, "Ended", timeout=30)
    assert events[-3:] == ["Offered", "Answered", "Ended"]


async def test_an_agent_who_logs_out_gets_no_call_and_waiting_calls_wait(env: Env) -> None:
    await ready(env, "7104")
    response = await env.http.post(f"/api/v1/agents/{env.agents['7104']}/state", json={"state": "logged_out"})
    assert response.json()["state"] == "logged_out"
    call_id = await enter_queue(env.link, "e2e_tech", stays=6)
    await wait_events(env, call_id, "Queued")
    decision = await env.db.fetchrow("SELECT * FROM routing_decisions WHERE call_id = $1", call_id)
    assert decision["chosen_agent_id"] is None and decision["outcome"] == "waiting"
    await wait_events(env, call_id, "Left", timeout=20)
    assert "Offered" not in await acd_events(env, call_id)


async def test_an_unknown_queue_goes_to_the_fallback(env: Env) -> None:
    call_id = await enter_queue(env.link, "no_such_queue", stays=3)
    await asyncio.sleep(2)
    assert await acd_events(env, call_id) == [] and env.acd.live.place_of(call_id) is None
