"""Composition root: `ccserver serve` builds everything here, with explicit arguments, and runs it."""

from __future__ import annotations

import asyncio
import logging
import sys

import uvicorn
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.api.readiness import DatabaseReadiness
from ccserver.backbone import Backbone
from ccserver.crm.database import create_engine
from ccserver.metrics import Metrics
from ccserver.settings import Settings

log = logging.getLogger("ccserver")


class ServiceReadiness:
    """/readyz: the database and every AMI link (logged in and resynced)."""

    def __init__(self, engine: AsyncEngine, backbone: Backbone) -> None:
        self._database = DatabaseReadiness(engine)
        self._backbone = backbone

    async def check(self) -> dict[str, bool]:
        result = await self._database.check()
        for switch_id, switch in self._backbone.switches.items():
            result[f"ami:{switch_id}"] = switch.link.ready.is_set()
        return result


async def run_service(settings: Settings) -> None:
    metrics = Metrics()
    backbone = Backbone.build(settings, metrics)
    engine = create_engine(database_url=settings.database_url)
    app = create_app(
        settings=settings, engine=engine, readiness=ServiceReadiness(engine, backbone),
        metrics_registry=metrics.registry,
    )
    host, port = settings.http_host_port
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False))
    if not backbone.switches:
        log.warning("CCSERVER_AMI_URL is empty: no switch connected, only the REST API runs")
    await backbone.start()
    try:
        await server.serve()
    finally:
        await backbone.stop()
        await engine.dispose()


def serve() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            print(f"ccserver: invalid setting CCSERVER_{field.upper()}: {error['msg']}", file=sys.stderr)
        return 2
    asyncio.run(run_service(settings))
    return 0
