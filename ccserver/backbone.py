"""The event path: AMI links -> normalisers -> bus -> journal. Built once, with explicit arguments."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial

import asyncpg

from ccserver.asterisk.ami_link import AmiLink
from ccserver.asterisk.gateway import SwitchGateway
from ccserver.crm.journal import JournalWriter
from ccserver.crm.journal_restore import highest_journal_id, load_open_calls
from ccserver.crm.phones import to_e164
from ccserver.crm.spool import Spool
from ccserver.events.bus import EventBus
from ccserver.events.ingest import SwitchIngest
from ccserver.events.journal_ids import JournalIds
from ccserver.events.tracker import CallTracker
from ccserver.metrics import Metrics
from ccserver.settings import Settings
from ccserver.supervisor import Supervisor

log = logging.getLogger(__name__)


@dataclass
class Switch:
    link: AmiLink
    ingest: SwitchIngest


@dataclass
class Backbone:
    settings: Settings
    metrics: Metrics
    bus: EventBus
    journal: JournalWriter
    ids: JournalIds
    normalise_phone: Callable[[str], str | None]
    switches: dict[str, Switch] = field(default_factory=dict)
    supervisor: Supervisor = field(default_factory=Supervisor)

    @classmethod
    def build(cls, settings: Settings, metrics: Metrics) -> Backbone:
        bus = EventBus()
        journal = JournalWriter(
            dsn=settings.asyncpg_dsn, spool=Spool(settings.spool_dir, max_bytes=settings.spool_max_bytes),
            metrics=metrics,
            batch_size=settings.journal_batch_size, flush_interval=settings.journal_flush_interval,
            memory_limit=settings.journal_memory_limit,
        )
        bus.subscribe(journal)
        ids = JournalIds()
        # Callers call again: remembering their numbers spares phonenumbers' parse (~80 µs) per call.
        normalise = lru_cache(maxsize=100_000)(partial(to_e164, default_region=settings.default_region))
        backbone = cls(
            settings=settings, metrics=metrics, bus=bus, journal=journal, ids=ids, normalise_phone=normalise
        )
        for endpoint in settings.ami_endpoints:
            tracker = CallTracker(endpoint.switch_id, ids=ids, normalise_phone=normalise)
            ingest = SwitchIngest(tracker, bus)
            link = AmiLink(
                endpoint, ingest, action_timeout=settings.ami_action_timeout,
                ping_interval=settings.ami_ping_interval,
            )
            backbone.switches[endpoint.switch_id] = Switch(link=link, ingest=ingest)
            metrics.watch_link(
                endpoint.switch_id, ready=link.ready.is_set, events=lambda i=ingest: i.events_in,
                bad_input=lambda s=link.frame_stats: s.bad_input,
            )
        return backbone

    async def start(self) -> None:
        await self._restore()
        self.supervisor.start("journal", self.journal.run)
        for switch_id, switch in self.switches.items():
            self.supervisor.start(f"ami-{switch_id}", switch.link.run)

    async def _restore(self) -> None:
        """Pick up where a previous ccserver left off. Without a database, start empty and say so."""
        try:
            conn = await asyncpg.connect(self.settings.asyncpg_dsn, timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning("database unavailable at start (%s): open calls will be rebuilt from AMI only", exc)
            return
        try:
            self.ids.advance_past(await highest_journal_id(conn))
            for switch_id, switch in self.switches.items():
                calls, legs = await load_open_calls(conn, switch_id)
                switch.ingest.tracker.restore(calls, legs)
                if calls:
                    log.info("switch %s: %d open calls restored for resync", switch_id, len(calls))
        finally:
            await conn.close()

    async def stop(self, *, drain_timeout: float = 10.0) -> None:
        for switch in self.switches.values():
            switch.link.close()
        try:
            await self.journal.wait_idle(drain_timeout)
        except TimeoutError:
            log.warning("journal: %d events not stored at shutdown (spool kept)", self.journal.buffered)
        await self.supervisor.stop()
        await self.journal.close()

    def gateway(self) -> SwitchGateway:
        return SwitchGateway({switch_id: switch.link for switch_id, switch in self.switches.items()})

    async def wait_switches_ready(self, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            for switch in self.switches.values():
                await switch.link.ready.wait()
