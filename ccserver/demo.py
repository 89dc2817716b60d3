"""`make demo`: ccserver on the sandbox switch with demo customers and a bounded stream of demo calls.

Run with CCSERVER_DATABASE_URL and CCSERVER_AMI_URL set (the Makefile does). Serves until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys

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
# DIDs of the callee simulator (dialplans/simulator.conf): 2RRTT answer after RR s and talk TT s,
# 3xxxx busy, 4xxxx never answers, 5xxxx congestion.
CALL_MIX = ["20205", "20108", "30000", "20312", "40000", "20104", "50000", "20206"]
CALLERS = ["+14155550100", "+14155550101", "+14155550102", "+442079460958", "+13125550199"]
DEMO_CALLS = 16


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
        _, key = await create_api_key(session=session, role=Role.ADMIN, name="demo")
    return key


async def _call_stream(service: Service) -> None:
    switch = next(iter(service.backbone.switches.values()))
    await switch.link.ready.wait()
    rng = random.Random(7)
    for n in range(DEMO_CALLS):
        did, caller = CALL_MIX[n % len(CALL_MIX)], rng.choice(CALLERS)
        await switch.link.action({
            "Action": "Originate", "Channel": f"Local/{rng.randint(6, 14)}@sim-caller", "Context": "from-pstn",
            "Exten": did, "Priority": "1", "CallerID": f"<{caller}>", "Variable": "CCSERVER_FALLBACK_TIMEOUT=6",
        })
        log.info("demo call %d/%d: %s dials %s", n + 1, DEMO_CALLS, caller, did)
        await asyncio.sleep(rng.uniform(1.5, 4.0))
    log.info("demo calls placed; ccserver keeps serving (Ctrl-C to stop)")


async def _main(settings: Settings) -> None:
    service = Service(settings)
    key = await _load_demo_data(service)
    host, port = settings.http_host_port
    base = f"http://{host}:{port}"
    print(f"""
ccserver demo
  API docs     {base}/docs
  calls        curl -H 'Authorization: Bearer {key}' {base}/api/v1/calls
  customers    curl -H 'Authorization: Bearer {key}' '{base}/api/v1/customers?phone=415-555-0100'
  health       {base}/healthz  {base}/readyz  {base}/metrics
  (agent desktop /agent and wallboard /wallboard come with issues 4 and 5)
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
