"""`ccserver acd load [FILE]`: check `acd.yaml`, upsert it into the database, then write the agents'
PJSIP endpoints (`pjsip_agents.conf` in CCSERVER_ASTERISK_CONF_DIR) and reload `res_pjsip` on each switch."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError

from ccserver.asterisk.ami_url import AmiEndpoint
from ccserver.asterisk.pjsip_agents import AgentProvisioner, Provisioned
from ccserver.crm import agents
from ccserver.crm.acd_file import AcdSpec, LoadReport, load_acd, read_acd_file
from ccserver.crm.database import create_engine, session_factory
from ccserver.sandbox.ami import AmiClient, AmiError
from ccserver.settings import Settings

DEFAULT_FILE = Path("dialplans/acd.yaml")


class OneShotReloader:
    """Reloads a module over a short AMI session per switch (the CLI has no standing AMI links)."""

    def __init__(self, endpoints: list[AmiEndpoint]) -> None:
        self._endpoints = {e.switch_id: e for e in endpoints}

    def switch_ids(self) -> list[str]:
        return sorted(self._endpoints)

    async def reload_module(self, switch_id: str, module: str) -> str:
        e = self._endpoints[switch_id]
        async with await AmiClient.login(e.host, e.port, e.username, e.secret, events="off") as client:
            reply = await client.action("Reload", Module=module)
        if reply.get("Response") != "Success":
            raise AmiError(f"Reload {module}: {reply.get('Message')}")
        return reply.get("Message")


async def _load(settings: Settings, spec: AcdSpec) -> tuple[LoadReport, Provisioned]:
    engine = create_engine(database_url=settings.database_url, pooled=False)
    try:
        async with session_factory(engine)() as session:
            report = await load_acd(session=session, spec=spec)
            provisioner = AgentProvisioner(settings.asterisk_conf_dir, OneShotReloader(settings.ami_endpoints))
            provisioned = await provisioner.sync(lambda: agents.pjsip_agents(session=session))
        return report, provisioned
    finally:
        await engine.dispose()


def acd_load_command(file: Path | None) -> int:
    path = file or DEFAULT_FILE
    spec, problems = read_acd_file(path)
    for problem in problems:
        print(problem, file=sys.stderr)
    if spec is None:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        print(f"ccserver acd load: {path} not loaded ({count})", file=sys.stderr)
        return 1
    settings = Settings()
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        report, provisioned = asyncio.run(_load(settings, spec))
    except ProgrammingError as exc:
        print(f"ccserver acd load: {exc.orig} (is {shown} migrated? run `ccserver migrate`)", file=sys.stderr)
        return 1
    except (OSError, DBAPIError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        print(f"ccserver acd load: cannot use the database at {shown}: {reason}", file=sys.stderr)
        return 1
    print(f"loaded {path}: {report.describe()}")
    print(f"PJSIP endpoints: {provisioned.status}: {provisioned.detail}")
    return 0
