"""Glue between one switch's AMI link and the rest: normalise, then publish on the bus."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ccserver.events.bus import EventBus
from ccserver.events.tracker import CallTracker


class SwitchIngest:
    """The `LinkListener` of one switch."""

    def __init__(self, tracker: CallTracker, bus: EventBus) -> None:
        self.tracker = tracker
        self._bus = bus
        self.events_in = 0

    def on_event(self, headers: dict[str, Any], received_at: datetime) -> None:
        self.events_in += 1
        entry = self.tracker.apply(headers, received_at)
        if entry is not None:
            self._bus.publish(entry)

    def on_link_down(self, at: datetime) -> None:
        for entry in self.tracker.mark_stale(at):
            self._bus.publish(entry)

    def known_channels(self) -> set[str]:
        return set(self.tracker.legs)

    def on_resync(self, known_before: set[str], channels: list[dict[str, Any]], at: datetime) -> None:
        for entry in self.tracker.reconcile(known_before, channels, at):
            self._bus.publish(entry)
