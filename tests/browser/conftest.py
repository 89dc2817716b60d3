"""Fixtures of the browser tests: the servers a test started, stopped after it. The browser and the page
come from tests/browser/chromium.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from browser_tools import LiveServer, ServeApp
from fastapi import FastAPI


@pytest.fixture
async def serve() -> AsyncIterator[ServeApp]:
    """`server = await serve(app)`: the app served on a free port until the test ends."""
    servers: list[LiveServer] = []

    async def start(app: FastAPI) -> LiveServer:
        server = LiveServer(app)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()
