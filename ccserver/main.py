"""Composition root: `ccserver serve` builds everything here, with explicit arguments, and runs it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import uvicorn
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.acd.service import Acd
from ccserver.api.app import create_app
from ccserver.api.readiness import DatabaseReadiness
from ccserver.asterisk.agi_server import AgiServer, AgiStats
from ccserver.asterisk.agi_session import AgiSession
from ccserver.asterisk.pjsip_agents import AgentProvisioner
from ccserver.backbone import Backbone
from ccserver.crm.agents import pjsip_agents
from ccserver.crm.customer_dip import find_customer_for_ivr
from ccserver.crm.database import create_engine, session_factory
from ccserver.desktop.feed import AgentFeed
from ccserver.desktop.service import Desktop, open_cases, recent_calls
from ccserver.events.model import IvrSession
from ccserver.ivr.commands import RoutingAttributes
from ccserver.ivr.flow_registry import FlowRegistry
from ccserver.ivr.recorder import IvrRecorder
from ccserver.ivr.runner import IvrRunner
from ccserver.metrics import Metrics
from ccserver.runtime import tune_for_throughput
from ccserver.settings import Settings

log = logging.getLogger("ccserver")

ACD_AGI_PREFIX = "acd/"


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


class Ivr:
    """The IVR: flow files (reloaded on change), the runner, and the FastAGI server it answers on.
    With an ACD, the server also answers the ACD's paths (`acd/...`)."""

    def __init__(self, settings: Settings, backbone: Backbone, engine: AsyncEngine, acd: Acd | None = None) -> None:
        self.flows = FlowRegistry(settings.ivr_dir, prompt_dir=settings.ivr_prompts_dir)
        sessions = session_factory(engine)

        async def lookup(by: str, value: str) -> dict[str, Any] | None:
            async with sessions() as session:
                return await find_customer_for_ivr(
                    session=session, by=by, value=value, default_region=settings.default_region
                )

        self.recorder = IvrRecorder(bus=backbone.bus, ids=backbone.ids, clock=_now)
        self.runner = IvrRunner(
            flows=self.flows, recorder=self.recorder,
            lookup=lookup, switch_ids=list(backbone.switches), normalise_phone=backbone.normalise_phone,
            clock=_now, messages_dir=settings.ivr_messages_dir,
            callbacks=self._take_callback,
        )
        self.stats = AgiStats()
        self.server = AgiServer(*settings.agi_host_port, self._dispatch, stats=self.stats)
        self._reload_interval = settings.ivr_reload_interval
        self.acd = acd

    def _take_callback(self, session: IvrSession, routing: RoutingAttributes) -> None:
        if self.acd is not None:
            self.acd.agi.ivr_callback(session, routing)
        # without an ACD the request stays on record as the IVR session's callback number

    async def _dispatch(self, agi: AgiSession) -> None:
        if not agi.path.startswith(ACD_AGI_PREFIX):
            await self.runner.handle(agi)
        elif self.acd is not None:
            await self.acd.agi.handle(agi)
        else:  # the dialplan sends the caller to its human fallback
            log.warning("FastAGI %s: this ccserver runs no ACD", agi.path)

    async def start(self, backbone: Backbone) -> None:
        for problem in self.flows.reload():
            log.error("IVR flow not loaded: %s", problem)
        backbone.supervisor.start("ivr-flows", lambda: self.flows.watch(self._reload_interval))
        backbone.supervisor.start("agi", self.server.serve)


def _now() -> datetime:
    return datetime.now(UTC)


class _HttpServer(uvicorn.Server):
    """uvicorn without its own signal handling: it re-raises SIGTERM once *it* is done, which would
    kill the process before the journal is drained. `Service` owns the signals instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Service:
    """Everything `ccserver serve` runs in one asyncio process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.backbone = Backbone.build(settings, self.metrics)
        self.engine = create_engine(database_url=settings.database_url)
        self.acd = Acd(backbone=self.backbone, sessions=session_factory(self.engine))
        self.ivr = Ivr(settings, self.backbone, self.engine, self.acd)
        self.desktop = Desktop(
            feed=AgentFeed(), sessions=session_factory(self.engine), default_region=settings.default_region,
            ivr_session=self.ivr.recorder.recent, history=recent_calls, cases=open_cases,
        )
        self.acd.live.listeners.append(self.desktop)
        self.metrics.watch_agi(self.ivr.stats)
        self.provisioner = AgentProvisioner(settings.asterisk_conf_dir, self.backbone.gateway())
        self.app = create_app(
            settings=settings, engine=self.engine, readiness=ServiceReadiness(self.engine, self.backbone),
            metrics_registry=self.metrics.registry, switches=self.backbone.gateway(), provisioner=self.provisioner,
            live_acd=self.acd, agent_feed=self.desktop.feed,
        )
        host, port = settings.http_host_port
        self.server = _HttpServer(
            uvicorn.Config(self.app, host=host, port=port, log_level="info", access_log=False)
        )

    async def _provision_agents(self) -> None:
        """The switch's pjsip_agents.conf follows the agents table (it may have changed while we were down)."""
        try:
            async with session_factory(self.engine)() as session:
                result = await self.provisioner.sync(lambda: pjsip_agents(session=session))
        except Exception as exc:  # database not there yet: the first agent change over REST syncs again
            log.warning("agent endpoints not synced at start: %s", exc)
            return
        log.info("agent endpoints: %s", result)

    def request_stop(self) -> None:
        self.server.should_exit = True

    async def run(self) -> None:
        if not self.backbone.switches:
            log.warning("CCSERVER_AMI_URL is empty: no switch connected, only the REST API runs")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        await self.backbone.start()
        await self.acd.start(self.backbone.supervisor)
        await self.ivr.start(self.backbone)
        await self._provision_agents()
        try:
            await self.server.serve()
        finally:
            log.info("stopping: draining the journal")
            await self.ivr.server.close()
            await self.acd.close()
            await self.desktop.close()
            with contextlib.suppress(TimeoutError):
                await self.acd.store.flush(timeout=5)
            await self.backbone.stop()
            await self.engine.dispose()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


async def run_service(settings: Settings) -> None:
    await Service(settings).run()


def serve() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            print(f"ccserver: invalid setting CCSERVER_{field.upper()}: {error['msg']}", file=sys.stderr)
        return 2
    tune_for_throughput()
    asyncio.run(run_service(settings))
    return 0
