"""`ccserver bench screenpop`: on the real sandbox switch, with `--agents` agent desktops connected to
`/ws/agents/{id}`, how long from the AMI event that rings an agent (DialBegin toward the agent, by its
own Timestamp) to that agent's page receiving the `offer` and then the `screenpop` (customer, IVR,
history, cases); beside the raw WebSocket round trip (an echo on the same server) in the same run.

The agents are the sandbox's simulated agents (they answer after a second and talk two); `--calls`
callers arrive `--rate` per second and queue; each rings a ready agent. Target: screen-pop p99 under
100 ms. Needs the sandbox (started if it is not running), a scratch PostgreSQL database, and the ports
127.0.0.1:4573 (FastAGI) and a free HTTP port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson
import uvicorn
import websockets
from fastapi import WebSocket, WebSocketDisconnect

from ccserver.acd.service import Acd
from ccserver.api.app import create_app
from ccserver.backbone import Backbone
from ccserver.bench.harness import bench_database, percentile, wait_until
from ccserver.crm.acd_file import load_acd, read_acd_file
from ccserver.crm.agents import create_agent_api_key
from ccserver.crm.apikeys import Role, create_api_key
from ccserver.crm.customers import PhoneInput, create_customer
from ccserver.crm.database import create_engine, session_factory
from ccserver.desktop.feed import AgentFeed
from ccserver.desktop.service import Desktop, open_cases, recent_calls
from ccserver.events.model import TrackedEvent, call_key
from ccserver.main import Ivr
from ccserver.metrics import Metrics
from ccserver.sandbox.service import ensure_sandbox_up
from ccserver.settings import Settings
from ccserver.supervisor import Supervisor

TARGET_P99_S = 0.100
QUEUE = "bench_pop"
FIRST_EXTENSION = 7600
CALLER = "+14155550188"
PROJECT_DIR = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccserver bench screenpop", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--agents", type=int, default=100, help="agent desktops connected (100)")
    p.add_argument("--calls", type=int, default=60, help="callers (60)")
    p.add_argument("--rate", type=float, default=4.0, help="callers a second (4)")
    p.add_argument("--echoes", type=int, default=500, help="WebSocket echo round trips for the baseline (500)")
    p.add_argument("--server-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres",
                   help="PostgreSQL server to make the scratch database on")
    return p


def screenpop_bench(options: list[str]) -> int:
    args = _parser().parse_args(options)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        offers, pops, echoes = asyncio.run(_run(args))
    except OSError as exc:
        print(f"ccserver bench screenpop: {exc} (PostgreSQL running? ports free?)", file=sys.stderr)
        return 1
    print(report(args, offers, pops, echoes))
    return 0 if pops and percentile(pops, 0.99) < TARGET_P99_S else 1


def report(args: argparse.Namespace, offers: list[float], pops: list[float], echoes: list[float]) -> str:
    def line(name: str, values: list[float]) -> str:
        if not values:
            return f"  {name:<40} no samples"
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        worst = max(values) * 1000
        return f"  {name:<40} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   max {worst:7.1f} ms   n={len(values)}"

    verdict = "met" if pops and percentile(pops, 0.99) < TARGET_P99_S else "MISSED"
    return "\n".join([
        f"{args.agents} agent desktops connected, {args.calls} callers at {args.rate:g}/s (sandbox Asterisk):",
        line("agent rung (DialBegin) -> offer on page", offers),
        line("agent rung (DialBegin) -> screen-pop", pops),
        line("baseline: WebSocket echo round trip", echoes),
        f"  ratio screen-pop p99 / echo p99: {percentile(pops, 0.99) / percentile(echoes, 0.99):.1f}x"
        if pops and echoes else "",
        f"  target screen-pop p99 < {TARGET_P99_S * 1000:.0f} ms: {verdict}. A negative figure means the page"
        " had it before Asterisk rang the phone.",
    ])


class DialTimes:
    """Bus subscriber: when Asterisk began dialing each agent (DialBegin Timestamp), by the dialed extension."""

    name = "bench-screenpop"

    def __init__(self) -> None:
        self.by_caller: dict[str, float] = {}

    def offer(self, entry: TrackedEvent) -> None:
        if entry.name == "DialBegin" and str(entry.headers.get("DestChannel", "")).startswith("Local/76"):
            self.by_caller[str(entry.headers.get("Uniqueid"))] = float(entry.headers.get("Timestamp") or time.time())


async def _run(args: argparse.Namespace) -> tuple[list[float], list[float], list[float]]:
    sandbox = await asyncio.to_thread(ensure_sandbox_up, PROJECT_DIR)
    async with asyncio.timeout(120 + args.calls / args.rate + args.calls * 2), bench_database(args.server_dsn) as dsn:
        with tempfile.TemporaryDirectory() as tmp:
            return await _measure(args, dsn, sandbox.ami_url, Path(tmp))


async def _measure(
    args: argparse.Namespace, dsn: str, ami_url: str, tmp: Path
) -> tuple[list[float], list[float], list[float]]:
    database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    settings = Settings(database_url=database_url, ami_url=ami_url, spool_dir=tmp, default_region="US",
                        ivr_dir=tmp)
    engine = create_engine(database_url=database_url)
    sessions = session_factory(engine)
    extensions = [str(FIRST_EXTENSION + n) for n in range(args.agents)]
    agents_yaml = "\n".join(
        f'  "{ext}": {{name: Bench Agent {ext}, sip_password: bench-{ext}-pw, skills: {{bench_pop: 5}}}}'
        for ext in extensions
    )
    (tmp / "acd.yaml").write_text(
        "skills: {bench_pop: Screen-pop bench}\nnot_ready_reasons: {break: {label: Break}}\n"
        f"queues:\n  {QUEUE}: {{required_skills: {{bench_pop: 1}}, wrapup_s: 0, announce_every_s: 300}}\n"
        f"agents:\n{agents_yaml}\n"
    )
    spec, problems = read_acd_file(tmp / "acd.yaml")
    assert spec is not None and not problems, problems
    async with sessions() as session:
        await load_acd(session=session, spec=spec)
        await create_customer(session=session, name="Bench Caller", account_number="BENCH0001", tier="gold",
                              language="en", default_region="US", phones=[PhoneInput(CALLER, "mobile")])
        await create_api_key(session=session, role=Role.SUPERVISOR, name="bench screenpop")

    backbone = Backbone.build(settings, Metrics())
    dial_times = DialTimes()
    backbone.bus.subscribe(dial_times)
    await backbone.start()
    supervisor = Supervisor()
    acd = Acd(backbone=backbone, sessions=sessions)
    ivr = Ivr(settings, backbone, engine, acd)
    desktop = Desktop(feed=AgentFeed(), sessions=sessions, default_region="US", ivr_session=ivr.recorder.recent,
                      history=recent_calls, cases=open_cases)
    acd.live.listeners.append(desktop)
    app = create_app(settings=settings, engine=engine, live_acd=acd, agent_feed=desktop.feed)

    @app.websocket("/bench/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.send_text(await websocket.receive_text())

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    clients: list[asyncio.Task[None]] = []
    offers: list[float] = []
    pops: list[float] = []
    try:
        await backbone.wait_switches_ready(30)
        await acd.start(supervisor)
        await ivr.server.start()
        await wait_until(lambda: server.started, timeout=10)
        link = next(iter(backbone.switches.values())).link
        agents = {a.extension: a.id for a in acd.live.engine.agents.values() if a.extension in extensions}
        for ext in extensions:
            await link.action({"Action": "Setvar", "Variable": f"SIM_AGENT_{ext}", "Value": "1,2"})
        received: dict[str, dict[str, float]] = {}  # call id -> kind -> arrival
        linked: dict[str, str] = {}  # call id -> the caller channel's uniqueid
        async with sessions() as session:
            keys = {ext: (await create_agent_api_key(session=session, agent_id=uuid.UUID(agents[ext]), name="bench"))[1]
                    for ext in extensions}
        for ext in extensions:
            clients.append(asyncio.create_task(_desktop(f"ws://127.0.0.1:{port}/ws/agents/{agents[ext]}?key={keys[ext]}",
                                                        received)))
        await asyncio.sleep(1.0)  # connected
        for ext in extensions:
            await acd.request_state(agents[ext], "ready", None, "supervisor")
        echoes = await _echoes(f"ws://127.0.0.1:{port}/bench/echo", args.echoes)
        for _ in range(args.calls):
            reply = await link.action({
                "Action": "Originate", "Channel": "Local/8@sim-caller", "Context": "ccserver-acd", "Exten": "s",
                "Priority": "1", "CallerID": f'"Bench Caller" <{CALLER}>', "Variable": f"CCSERVER_QUEUE={QUEUE}",
            }, timeout=15)
            uniqueid = str(reply[-1]["Uniqueid"])
            linked[str(call_key(link.switch_id, uniqueid))] = uniqueid
            await asyncio.sleep(1 / args.rate)
        await asyncio.sleep(5)
        for call_id, uniqueid in linked.items():
            rung = dial_times.by_caller.get(uniqueid)
            kinds = received.get(call_id, {})
            if rung is None:
                continue
            if "offer" in kinds:
                offers.append(kinds["offer"] - rung)
            if "screenpop" in kinds:
                pops.append(kinds["screenpop"] - rung)
        return offers, pops, echoes
    finally:
        for client in clients:
            client.cancel()
        await asyncio.gather(*clients, return_exceptions=True)
        server.should_exit = True
        await serving
        await ivr.server.close()
        await acd.close()
        await desktop.close()
        await supervisor.stop()
        await backbone.stop()
        await engine.dispose()


async def _desktop(url: str, received: dict[str, dict[str, float]]) -> None:
    async with websockets.connect(url) as connection:
        async for text in connection:
            frame = orjson.loads(text)
            if frame.get("kind") in ("offer", "screenpop"):
                received.setdefault(frame["data"]["call_id"], {})[frame["kind"]] = time.time()


async def _echoes(url: str, count: int) -> list[float]:
    times = []
    async with websockets.connect(url) as connection:
        for n in range(count):
            started = time.perf_counter()
            await connection.send(str(n))
            await connection.recv()
            times.append(time.perf_counter() - started)
    return times


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
