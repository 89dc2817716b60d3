"""Owned background tasks: named, restarted with backoff when they fail, cancelled cleanly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, factory: Callable[[], Awaitable[None]], *, max_delay: float = 30.0) -> None:
        if name in self._tasks:
            raise ValueError(f"task {name!r} already running")
        self._tasks[name] = asyncio.create_task(self._keep_running(name, factory, max_delay), name=name)

    async def _keep_running(self, name: str, factory: Callable[[], Awaitable[None]], max_delay: float) -> None:
        delay = 0.5
        while True:
            try:
                await factory()
                log.info("task %s finished", name)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("task %s failed; restarting in %.1f s", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)

    def running(self) -> list[str]:
        return [name for name, task in self._tasks.items() if not task.done()]

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
