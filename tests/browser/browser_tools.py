"""What the browser tests share: the real app served by uvicorn on a free port of the test's own event loop,
and screenshots saved to
artifacts/screenshots/ for a person to look at."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.async_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


class LiveServer:
    """The app on 127.0.0.1:<port>. `stop()` then `start()` again is a network blip: the same port comes back."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(), name=f"uvicorn :{self.port}")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises why it did not start
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Closes every connection (WebSockets with 1012, as on a restart) and the port."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await asyncio.wait_for(self._task, 10)
        self._server = self._task = None


ServeApp = Callable[[FastAPI], Awaitable[LiveServer]]  # the `serve` fixture


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
