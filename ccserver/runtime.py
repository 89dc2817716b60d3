"""Process-wide runtime settings shared by `ccserver serve` and the benchmarks that measure it."""

from __future__ import annotations

import gc


def tune_for_throughput() -> None:
    """Fewer young-generation collections: the event path makes many short-lived dicts, and with
    the default threshold (700) the collector ran every few dozen AMI events."""
    gc.freeze()  # what start-up built lives for the whole process: keep it out of every collection
    gc.set_threshold(100_000, 50, 100)
