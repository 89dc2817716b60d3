"""The live ACD on the real switch, for end-to-end tests: a module fixture `env` (the test database
loaded with `e2e_*` skills, queues and agents, a ccserver ACD with its FastAGI server, desktop feed and
REST app) and scripted callers and agents: callers hold in [ccserver-acd]; agents are [sim-agent] Local
channels that ring, answer, talk and hang up as SIM_AGENT_<ext> says.

Skills and queues are named `e2e_*` so agents other tests leave in the shared database never qualify.
Its fixtures are registered for the whole suite (tests/conftest.py `pytest_plugins`) and made only for
the modules that ask: `env`, and `everyone_logged_out` (use it on every test of such a module).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.acd.service import Acd
from ccserver.api.app import create_app
from ccserver.asterisk.ami_link import AmiLink
from ccserver.backbone import Backbone
from ccserver.bench.harness import wait_until
from ccserver.crm.acd_file import load_acd, read_acd_file
from ccserver.crm.database import session_factory
from ccserver.desktop.feed import AgentFeed
from ccserver.desktop.service import Desktop, open_cases, recent_calls
from ccserver.events.model import call_key
from ccserver.main import Ivr
from ccserver.supervisor import Supervisor

PROJECT_DIR = Path(__file__).resolve().parents[2]
CALLER = '"Vera Queue" <+14155550142>'

ACD_YAML = """
skills:
  e2e_billing: Billing (e2e)
  e2e_tech: Technical (e2e)
  e2e_sip: Reached over SIP (e2e)
  lang:en: Speaks English
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
    screenpop_url: "https://crm.example/cust?phone={caller}&acct={account}"
  e2e_sip:
    required_skills: {e2e_sip: 1}
    wrapup_s: 0
  e2e_announce:
    required_skills: {e2e_tech: 9}
    announce_every_s: 10
  e2e_watch:
    required_skills: {e2e_tech: 1}
    announce_every_s: 10
agents:
  "7101": {name: Ada Expert, sip_password: e2e-7101-secret, skills: {e2e_billing: 9}}
  "7102": {name: Ben Junior, sip_password: e2e-7102-secret, skills: {e2e_billing: 3}}
  "7103": {name: Cleo Tech, sip_password: e2e-7103-secret, skills: {e2e_tech: 5, lang:en: 7}}
  "7104": {name: Dan Tech, sip_password: e2e-7104-secret, skills: {e2e_tech: 5, lang:en: 9}}
  "7105": {name: Eve Softphone, sip_password: e2e-7105-secret, skills: {e2e_sip: 5}}
"""


# An IVR flow that takes a callback request for the e2e_tech queue at once.
CALLBACK_FLOW = """
flow: e2e_callback
languages: [en]
language: en
start: callback
nodes:
  callback:
    type: callback
    prompt: callback_confirmed
    queue: e2e_tech
"""
# An IVR flow whose caller keys an account number during the prompt, then goes to e2e_tech.
SUPPORT_FLOW = """
flow: e2e_support
languages: [en]
language: en
start: account
nodes:
  account:
    type: collect
    prompt: enter_account
    min_length: 8
    max_length: 8
    timeout: 8
    store: account
    retries: 1
    next: support
    fallback: support
  support:
    type: route
    prompt: connecting
    queue: e2e_tech
"""
LINKEDID: dict[str, str] = {}  # call id -> linkedid of the callers enter_queue placed


@dataclass
class Env:
    """The switch, the database, and a ccserver ACD (which a test may restart)."""

    link: AmiLink
    db: asyncpg.Connection
    agents: dict[str, str]  # extension -> agent id
    backbone: Backbone
    db_engine: AsyncEngine
    ivr: Ivr
    api_key: str
    acd: Acd = field(init=False)
    desktop: Desktop = field(init=False)
    app: FastAPI = field(init=False)
    http: httpx.AsyncClient = field(init=False)
    supervisor: Supervisor = field(init=False)

    async def start_acd(self, backbone: Backbone | None = None) -> None:
        """A ccserver ACD on the test's switch link (or on `backbone`'s), answering the FastAGI paths."""
        self.acd = Acd(backbone=backbone or self.backbone, sessions=session_factory(self.db_engine))
        self.supervisor = Supervisor()
        await self.acd.start(self.supervisor)
        assert self.acd.loaded
        self.ivr.acd = self.acd
        self.desktop = Desktop(
            feed=AgentFeed(), sessions=session_factory(self.db_engine), default_region="US",
            ivr_session=self.ivr.recorder.recent, history=recent_calls, cases=open_cases,
        )
        self.acd.live.listeners.append(self.desktop)
        self.app = create_app(settings=self.backbone.settings, engine=self.db_engine, live_acd=self.acd,
                              agent_feed=self.desktop.feed)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://ccserver",
            headers={"Authorization": f"Bearer {self.api_key}"},
        )

    async def stop_acd(self, backbone: Backbone | None = None) -> None:
        """As a stopping ccserver does: nothing more from it, what it decided is stored."""
        (backbone or self.backbone).bus.unsubscribe(self.acd.live)
        await self.http.aclose()
        await self.acd.close()
        await self.desktop.close()
        await self.acd.store.flush()
        await self.supervisor.stop()

    async def restart_acd(self) -> None:
        await self.stop_acd()
        await self.start_acd()


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
    flows = tmp_path_factory.mktemp("flows")
    (flows / "e2e_callback.yaml").write_text(CALLBACK_FLOW)
    (flows / "e2e_support.yaml").write_text(SUPPORT_FLOW)
    ivr = Ivr(backbone.settings.model_copy(update={"ivr_dir": flows, "ivr_prompts_dir": PROJECT_DIR / "ivr_prompts"}),
              backbone, db_engine)
    assert ivr.flows.reload() == []
    await ivr.server.start()
    db = await asyncpg.connect(asyncpg_dsn)
    rows = await db.fetch("SELECT id, extension FROM agents WHERE extension LIKE '71__'")
    env = Env(
        link=backbone.switches["sandbox"].link, db=db, agents={r["extension"]: str(r["id"]) for r in rows},
        backbone=backbone, db_engine=db_engine, ivr=ivr, api_key=await api_key_factory("supervisor"),
    )
    await env.start_acd()
    try:
        yield env
    finally:
        for agent_id in env.agents.values():
            if env.acd.live.engine.status(agent_id).state != "logged_out":
                await env.acd.request_state(agent_id, "logged_out", None, "supervisor")
        await env.stop_acd()
        await db.close()
        await ivr.server.close()


@pytest.fixture
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
    did: str = "20199",
) -> str:
    """A caller of `did` handed to the ACD (as the IVR does): the call's id in ccserver. (The sandbox's
    human fallback dials the callee simulator with the DID.)"""
    variables = [f"CCSERVER_QUEUE={queue}", f"CCSERVER_SKILLS={skills}", f"CCSERVER_PRIORITY={priority}",
                 f"__CCSERVER_DID={did}"]
    if keys is not None:
        variables.append(f"CALLER_DTMF={keys}")
    reply = await link.action({
        "Action": "Originate", "Channel": f"Local/{stays}@{'sim-caller' if keys is None else 'sim-ivr-caller'}",
        "Context": "ccserver-acd", "Exten": "s", "Priority": "1", "CallerID": CALLER,
        "Variable": ",".join(variables),
    }, timeout=15)
    assert reply[-1].get("Response") == "Success", reply[-1]
    call_id = str(call_key("sandbox", str(reply[-1]["Uniqueid"])))
    LINKEDID[call_id] = str(reply[-1]["Uniqueid"])
    return call_id


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


async def wait_events(env: Env, call_id: str, *wanted: str, timeout: float = 30, times: int = 1) -> list[str]:
    """The call's ACD events once each of `wanted` is among them (`times` times each)."""
    async def arrived() -> bool:
        events = await acd_events(env, call_id)
        return all(events.count(w) >= times for w in wanted)

    await wait_until(arrived, timeout=timeout)
    return await acd_events(env, call_id)




@pytest.fixture(scope="module")
async def served(env: Env) -> AsyncIterator[str]:
    """`env`'s app (REST, WebSockets, pages) served by uvicorn on a free port: its http:// base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(env.app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, timeout=10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
