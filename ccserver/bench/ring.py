"""`ccserver bench ring`: on the real sandbox switch, how long from an agent becoming ready to that agent's
phone ringing while a caller waits, beside the switch's own part of it measured in the same run.

Each ACD round: the agent is not ready, a caller (a Local channel) is handed to the ACD and holds; then
the agent asks to be ready (`POST /api/v1/agents/{id}/state`, in process) and the clock runs until Asterisk
reports the agent's channel dialed (DialBegin, by the event's own Timestamp, so AMI delivery back to us is
not counted). Each baseline round: the same caller and agent, but ccserver's part is skipped: the
bench itself sends the AMI Redirect of the holding caller into [ccserver-acd-offer], as the ACD would,
and the clock runs to the same DialBegin. The rounds alternate, so both see the same switch.

Target: the ACD's p95 under 100 ms. Needs the sandbox (started when it is not running), PostgreSQL
(a scratch database) and the FastAGI port (127.0.0.1:4573) free: stop `ccserver serve` first.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ccserver.acd.service import Acd
from ccserver.api.app import create_app
from ccserver.asterisk.ami_link import AmiLink
from ccserver.backbone import Backbone
from ccserver.bench.harness import bench_database, percentile, wait_until
from ccserver.crm.acd_file import load_acd, read_acd_file
from ccserver.crm.apikeys import Role, create_api_key
from ccserver.crm.database import create_engine, session_factory
from ccserver.events.model import TrackedEvent, call_key
from ccserver.main import Ivr
from ccserver.metrics import Metrics
from ccserver.sandbox.service import ensure_sandbox_up
from ccserver.settings import Settings
from ccserver.supervisor import Supervisor

TARGET_P95_S = 0.100
QUEUE, EXTENSION = "bench_ring", "7901"
PROJECT_DIR = Path(__file__).resolve().parents[2]
ACD_YAML = f"""
skills: {{bench_ring: Ring bench}}
not_ready_reasons: {{break: {{label: Break}}}}
queues:
  {QUEUE}: {{required_skills: {{bench_ring: 1}}, wrapup_s: 0, announce_every_s: 300}}
agents:
  "{EXTENSION}": {{name: Bench Agent, sip_password: bench-{EXTENSION}-secret, skills: {{bench_ring: 5}}}}
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ccserver bench ring", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=20, help="rounds of each kind (20)")
    p.add_argument("--server-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres",
                   help="PostgreSQL server to make the scratch database on")
    return p


def ring_bench(options: list[str]) -> int:
    args = _parser().parse_args(options)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        acd, baseline = asyncio.run(_run(args))
    except OSError as exc:
        print(f"ccserver bench ring: {exc} (PostgreSQL running? FastAGI port free?)", file=sys.stderr)
        return 1
    print(report(acd, baseline))
    return 0 if percentile(acd, 0.95) < TARGET_P95_S else 1


def report(acd: list[float], baseline: list[float]) -> str:
    def line(name: str, values: list[float]) -> str:
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        return f"  {name:<34} p50 {p50 * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   max {max(values) * 1000:6.1f} ms"

    ratio = percentile(acd, 0.95) / percentile(baseline, 0.95)
    verdict = "met" if percentile(acd, 0.95) < TARGET_P95_S else "MISSED"
    return "\n".join([
        f"agent ready -> agent's channel dialed, {len(acd)} rounds each (sandbox Asterisk):",
        line("ACD (REST ready -> engine -> AMI)", acd),
        line("baseline (AMI Redirect only)", baseline),
        f"  ACD p95 / baseline p95: {ratio:.2f}x; target p95 < {TARGET_P95_S * 1000:.0f} ms: {verdict}",
    ])


async def _run(args: argparse.Namespace) -> tuple[list[float], list[float]]:
    sandbox = await asyncio.to_thread(ensure_sandbox_up, PROJECT_DIR)
    async with asyncio.timeout(60 + args.rounds * 30), bench_database(args.server_dsn) as dsn:
        with tempfile.TemporaryDirectory() as spool:
            return await _rounds(args, dsn, sandbox.ami_url, Path(spool))


async def _rounds(args: argparse.Namespace, dsn: str, ami_url: str, spool: Path) -> tuple[list[float], list[float]]:
    database_url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    settings = Settings(database_url=database_url, ami_url=ami_url, spool_dir=spool, default_region="US")
    engine = create_engine(database_url=database_url)
    sessions = session_factory(engine)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acd.yaml"
        path.write_text(ACD_YAML)
        spec, problems = read_acd_file(path)
        assert spec is not None and not problems, problems
    async with sessions() as session:
        await load_acd(session=session, spec=spec)
        _, key = await create_api_key(session=session, role=Role.SUPERVISOR, name="bench ring")
    backbone = Backbone.build(settings, Metrics())
    await backbone.start()
    supervisor = Supervisor()
    acd = Acd(backbone=backbone, sessions=sessions)
    ivr = Ivr(settings, backbone, engine, acd)
    probe = DialProbe()
    backbone.bus.subscribe(probe)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings=settings, engine=engine,
                             live_acd=acd)), base_url="http://bench", headers={"Authorization": f"Bearer {key}"})
    try:
        await backbone.wait_switches_ready(30)
        await acd.start(supervisor)
        await ivr.server.start()
        link = backbone.switches[next(iter(backbone.switches))].link
        await link.action({"Action": "Setvar", "Variable": f"SIM_AGENT_{EXTENSION}", "Value": "0,0"})
        agent_id = _agent_id(acd)
        await acd.request_state(agent_id, "not_ready", "break", "supervisor")
        measured: list[float] = []
        baseline: list[float] = []
        for _ in range(args.rounds):
            measured.append(await _round(acd, link, probe, agent_id, http=http))
            baseline.append(await _round(acd, link, probe, agent_id, http=None))
        return measured, baseline
    finally:
        await http.aclose()
        await ivr.server.close()
        await acd.close()
        await supervisor.stop()
        await backbone.stop()
        await engine.dispose()


def _agent_id(acd: Acd) -> str:
    return next(a.id for a in acd.live.engine.agents.values() if a.extension == EXTENSION)


class DialProbe:
    """Bus subscriber: when Asterisk began dialing from each caller channel (the event's Timestamp)."""

    name = "bench-ring"

    def __init__(self) -> None:
        self.dialed: dict[str, float] = {}

    def offer(self, entry: TrackedEvent) -> None:
        if entry.name == "DialBegin":
            self.dialed[str(entry.headers.get("Uniqueid"))] = float(entry.headers.get("Timestamp") or time.time())


async def _round(acd: Acd, link: AmiLink, probe: DialProbe, agent_id: str, *, http: httpx.AsyncClient | None) -> float:
    live = acd.live
    reply = await link.action({
        "Action": "Originate", "Channel": "Local/20@sim-caller", "Context": "ccserver-acd", "Exten": "s",
        "Priority": "1", "CallerID": '"Bench" <+14155550177>', "Variable": f"CCSERVER_QUEUE={QUEUE}",
    }, timeout=15)
    uniqueid = str(reply[-1]["Uniqueid"])
    call_id = str(call_key(link.switch_id, uniqueid))
    await wait_until(lambda: live.engine.is_waiting(call_id), timeout=10)
    place = live.place_of(call_id)
    assert place is not None and place.channel
    started = time.time()
    if http is not None:
        response = await http.post(f"/api/v1/agents/{agent_id}/state", json={"state": "ready"})
        response.raise_for_status()
    else:
        await link.action({"Action": "Redirect", "Channel": place.channel, "Context": "ccserver-acd-offer",
                           "Exten": EXTENSION, "Priority": "1"})
    await wait_until(lambda: uniqueid in probe.dialed, timeout=10)
    elapsed = probe.dialed[uniqueid] - started
    await wait_until(lambda: live.place_of(call_id) is None and live.engine.status(agent_id).active_calls == 0,
                     timeout=20)
    if live.engine.status(agent_id).state != "not_ready":
        await acd.request_state(agent_id, "not_ready", "break", "supervisor")
    return elapsed
