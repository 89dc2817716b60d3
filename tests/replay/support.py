"""Helpers for the replay tests: fixture paths, a listener that keeps what a link delivered, polling."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ccserver.crm.phones import to_e164

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
ANSWERED_AND_BUSY = FIXTURES / "answered_and_busy.raw"

normalise_us = partial(to_e164, default_region="US")


class CollectingListener:
    """A `LinkListener` that keeps what the link delivered, in order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.downs = 0
        self.resyncs = 0

    def on_event(self, headers: dict[str, Any], received_at: datetime) -> None:
        self.events.append(headers)

    def on_link_down(self, at: datetime) -> None:
        self.downs += 1

    def known_channels(self) -> set[str]:
        return set()

    def on_resync(self, known_before: set[str], channels: list[dict[str, Any]], at: datetime) -> None:
        self.resyncs += 1
