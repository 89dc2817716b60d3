"""One stream of journal entries, many subscribers (journal writer, screen-pops, webhooks...).

`publish` is synchronous and called in event order; each subscriber buffers and does its own I/O in
its own supervised task, so a slow subscriber never reorders or delays the others.
"""

from __future__ import annotations

import logging
from typing import Protocol

from ccserver.events.model import TrackedEvent

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    name: str

    def offer(self, entry: TrackedEvent) -> None: ...


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers = [s for s in self._subscribers if s is not subscriber]

    def publish(self, entry: TrackedEvent) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber.offer(entry)
            except Exception:
                log.exception("subscriber %s failed on event %s", subscriber.name, entry.id)
