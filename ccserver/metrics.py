"""Prometheus metrics, on a registry made by the composition root (no import-time globals)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ccserver.asterisk.agi_server import AgiStats

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.ami_link_up = Gauge("ccserver_ami_link_up", "1 while logged in and resynced", ["switch"], registry=r)
        self._link_counters = _LinkCounters()
        r.register(self._link_counters)
        self.journal_written = Counter("ccserver_journal_events_written_total", "journal rows stored", registry=r)
        self.journal_buffered = Gauge(
            "ccserver_journal_events_buffered", "journal entries waiting in memory", registry=r
        )
        self.journal_spooled = Gauge(
            "ccserver_journal_batches_spooled", "journal batches waiting on disk for PostgreSQL", registry=r
        )
        self.journal_dead = Counter(
            "ccserver_journal_batches_rejected_total", "batches PostgreSQL refused as invalid (kept on disk)",
            registry=r,
        )
        self.journal_dropped = Counter(
            "ccserver_journal_events_dropped", "events lost because memory and spool were both full", registry=r
        )
        self.journal_db_up = Gauge("ccserver_journal_database_up", "1 while the journal can write", registry=r)
        self.journal_batch_seconds = Histogram(
            "ccserver_journal_batch_seconds", "time to store one journal batch", registry=r
        )

    def watch_link(
        self, switch_id: str, *, ready: Callable[[], bool], events: Callable[[], int], bad_input: Callable[[], int]
    ) -> None:
        """Read a link's state and counts at scrape time (nothing to do per event on the hot path)."""
        self.ami_link_up.labels(switch_id).set_function(lambda: 1.0 if ready() else 0.0)
        self._link_counters.sources[switch_id] = (events, bad_input)

    def watch_agi(self, stats: AgiStats) -> None:
        """The FastAGI server's counters, read at scrape time."""
        self.registry.register(_AgiCollector(stats))


class _AgiCollector(Collector):
    def __init__(self, stats: AgiStats) -> None:
        self._stats = stats

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        s = self._stats
        yield CounterMetricFamily("ccserver_agi_sessions", "FastAGI sessions accepted", value=s.sessions_total)
        yield GaugeMetricFamily("ccserver_agi_sessions_active", "FastAGI sessions in progress", value=s.sessions_active)
        yield CounterMetricFamily(
            "ccserver_agi_handler_errors", "FastAGI sessions ended by an unexpected error", value=s.handler_errors
        )
        rejected = CounterMetricFamily(
            "ccserver_agi_rejected", "connections closed as not AGI (garbage, timeout, ...)", labels=["reason"]
        )
        for reason, count in sorted(s.rejected.items()):
            rejected.add_metric([reason], count)
        yield rejected


class _LinkCounters(Collector):
    def __init__(self) -> None:
        self.sources: dict[str, tuple[Callable[[], int], Callable[[], int]]] = {}

    def collect(self) -> Iterator[CounterMetricFamily]:
        events = CounterMetricFamily("ccserver_ami_events", "AMI events received", labels=["switch"])
        bad = CounterMetricFamily(
            "ccserver_ami_bad_input", "AMI input skipped (malformed, oversized, not UTF-8)", labels=["switch"]
        )
        for switch_id, (count_events, count_bad) in self.sources.items():
            events.add_metric([switch_id], count_events())
            bad.add_metric([switch_id], count_bad())
        yield events
        yield bad
