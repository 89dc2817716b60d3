"""Prometheus metrics, on a registry made by the composition root (no import-time globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.ami_events = Counter("ccserver_ami_events_total", "AMI events received", ["switch"], registry=r)
        self.ami_link_up = Gauge("ccserver_ami_link_up", "1 while logged in and resynced", ["switch"], registry=r)
        self.ami_bad_input = Counter(
            "ccserver_ami_bad_input_total", "AMI input skipped (malformed, oversized, not UTF-8)", ["switch"],
            registry=r,
        )
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
        self.journal_db_up = Gauge("ccserver_journal_database_up", "1 while the journal can write", registry=r)
        self.journal_batch_seconds = Histogram(
            "ccserver_journal_batch_seconds", "time to store one journal batch", registry=r
        )
