"""`make demo`: ccserver on the sandbox switch with demo customers and a bounded stream of demo calls.

Run with CCSERVER_DATABASE_URL and CCSERVER_AMI_URL set (the Makefile does). Serves until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from ccserver.crm.acd_file import load_acd, read_acd_file
from ccserver.crm.apikeys import Role, create_api_key
from ccserver.crm.customers import PhoneInput, create_customer
from ccserver.crm.database import session_factory
from ccserver.crm.errors import CrmError
from ccserver.main import Service
from ccserver.settings import Settings

log = logging.getLogger("ccserver.demo")

CUSTOMERS = [
    ("Ada Lovelace", "41001009", "gold", "en", "(415) 555-0100"),
    ("José Martínez", "41002007", "standard", "es", "+1 415 555 0101"),
    ("Grace Hopper", "41003005", "vip", "en", "415.555.0102"),
    ("Zoë Ångström", "41004003", "standard", "en", "+44 20 7946 0958"),
]
# The demo number. The IVR (dialplans/ivr/inbound.yaml) answers it and hands callers to the ACD, whose
# demo agents (dialplans/acd.yaml, 1001-1006) are the sandbox's simulated agents ([sim-agent] in
# dialplans/simulator.conf): each rings, answers and talks as SIM_AGENT_<ext> says ("ring s,talk s").
DEMO_NUMBER = "20210"
ACD_FILE = Path("dialplans/acd.yaml")
DEMO_AGENTS = {"1001": "2,14", "1002": "1,18", "1003": "3,12", "1004": "2,16", "1005": "1,20", "1006": "2,10"}
CALLER_STAYS_S = 60


def _keys(*steps: tuple[float, str]) -> str:
    """(seconds to wait, keys to press) as a SendDTMF script: `w` is half a second."""
    return "".join("w" * round(wait * 2) + pressed for wait, pressed in steps)


# Scripted callers walking the bilingual menu: (caller id, keys, what they do).
DEMO_WALKS = [
    ("+13125550199", _keys((3, "2"), (5, "2")), "new caller: Spanish, then technical support"),
    ("+14155550101", _keys((3, "1"), (3, "41001008#"), (6, "41002007#")),
     "José (stored language es): billing, a mistyped account number, then the right one"),
    ("+14155550102", _keys((6, "3")), "Grace (VIP): asks for a callback"),
    ("+14155550100", _keys((7, "0")), "Ada (gold): straight to an agent"),
    ("+13125550198", _keys((3, "1"), (4, "9"), (24, "0")), "new caller: English, a wrong key, silence, then 0"),
    ("+13125550197", _keys((2, "")), "new caller: hangs up during the language menu"),
]
DEMO_CALLS = 12


async def _load_demo_data(service: Service) -> str:
    sessions = session_factory(service.engine)
    async with sessions() as session:
        for name, account, tier, language, phone in CUSTOMERS:
            try:
                await create_customer(
                    session=session, name=name, account_number=account, tier=tier, language=language,
                    default_region=service.settings.default_region, phones=[PhoneInput(phone, "main")],
                )
            except CrmError:
                pass  # already loaded by an earlier demo run
        spec, problems = read_acd_file(ACD_FILE)
        if spec is None:
            raise SystemExit("\n".join(str(p) for p in problems))
        await load_acd(session=session, spec=spec)
        _, key = await create_api_key(session=session, role=Role.ADMIN, name="demo")
    return key


async def _agents_ready(service: Service) -> None:
    """The demo agents log in, ready, as simulated agents that answer and talk a while."""
    switch = next(iter(service.backbone.switches.values()))
    await service.acd.wait_loaded()
    await switch.link.ready.wait()
    for extension, behaviour in DEMO_AGENTS.items():
        await switch.link.action({"Action": "Setvar", "Variable": f"SIM_AGENT_{extension}", "Value": behaviour})
    for agent in service.acd.live.engine.agents.values():
        if agent.extension in DEMO_AGENTS and service.acd.live.engine.status(agent.id).state == "logged_out":
            await service.acd.request_state(agent.id, "ready", None, "supervisor")
            log.info("demo agent %s (%s) is ready", agent.extension, agent.name)


async def _call_stream(service: Service) -> None:
    switch = next(iter(service.backbone.switches.values()))
    await _agents_ready(service)
    for n in range(DEMO_CALLS):
        caller, keys, what = DEMO_WALKS[n % len(DEMO_WALKS)]
        await switch.link.action({
            "Action": "Originate", "Channel": f"Local/{CALLER_STAYS_S}@sim-ivr-caller", "Context": "from-pstn",
            "Exten": DEMO_NUMBER, "Priority": "1", "CallerID": f"<{caller}>",
            "Variable": f"CCSERVER_FALLBACK_TIMEOUT=15,CALLER_DTMF={keys}",
        })
        log.info("demo call %d/%d to %s: %s", n + 1, DEMO_CALLS, DEMO_NUMBER, what)
        await asyncio.sleep(4.0)
    log.info("demo calls placed; ccserver keeps serving (Ctrl-C to stop)")


async def _main(settings: Settings) -> None:
    service = Service(settings)
    key = await _load_demo_data(service)
    host, port = settings.http_host_port
    base = f"http://{host}:{port}"
    print(f"""
ccserver demo
  API docs     {base}/docs
  demo number  {DEMO_NUMBER}: the IVR answers with a bilingual menu; {DEMO_CALLS} scripted callers walk it,
               then wait in the ACD's queues for the six demo agents (dialplans/acd.yaml)
  agent desk   {base}/agent   sign in as 1001 / demo-1001-secret (any demo agent: dialplans/acd.yaml)
  wallboard    {base}/wallboard?key={key}
               API: curl -H 'Authorization: Bearer {key}' {base}/api/v1/wallboard
  reports      {base}/reports?key={key}   (KPIs with charts; CSV:
               curl -H 'Authorization: Bearer {key}' '{base}/api/v1/reports/kpis?group_by=queue&format=csv')
  agents       curl -H 'Authorization: Bearer {key}' {base}/api/v1/agents
  routing      curl -H 'Authorization: Bearer {key}' {base}/api/v1/calls/<id>/routing   (why that agent)
  calls        curl -H 'Authorization: Bearer {key}' {base}/api/v1/calls
  one call     curl -H 'Authorization: Bearer {key}' {base}/api/v1/calls/<id>   (ivr_path, ivr_sessions)
  customers    curl -H 'Authorization: Bearer {key}' '{base}/api/v1/customers?phone=415-555-0100'
  health       {base}/healthz  {base}/readyz  {base}/metrics
""", flush=True)
    calls = asyncio.create_task(_call_stream(service), name="demo-calls")
    try:
        await service.run()
    finally:
        calls.cancel()
        await asyncio.gather(calls, return_exceptions=True)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    if not settings.ami_endpoints:
        print("ccserver demo: CCSERVER_AMI_URL is not set (run it through `make demo`)", file=sys.stderr)
        return 2
    asyncio.run(_main(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
