"""Fixtures of the browser tests: a headless Chromium for the session, a fresh page per test (which fails
the test if the page's scripts threw), and the servers a test started, stopped after it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from browser_tools import CHROMIUM, CHROMIUM_ARGS, LiveServer, ServeApp
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright


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


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert not errors, f"the page's scripts failed: {errors}"
