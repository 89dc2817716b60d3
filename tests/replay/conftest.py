"""A real `AmiLink` against the replay server, stopped at the end of each test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from ccserver.asterisk.ami_link import AmiLink, Backoff, LinkListener
from ccserver.asterisk.ami_url import parse_ami_url

StartLink = Callable[..., AmiLink]


@pytest.fixture
async def start_link() -> AsyncIterator[StartLink]:
    """`start_link(port, listener, ping_interval=...)` runs a link to 127.0.0.1:port until the test ends."""
    tasks: list[asyncio.Task[None]] = []

    def start(port: int, listener: LinkListener, *, ping_interval: float = 5.0) -> AmiLink:
        endpoint = parse_ami_url(f"ami://test:test@127.0.0.1:{port}?switch=replay")
        link = AmiLink(
            endpoint, listener, action_timeout=2.0, ping_interval=ping_interval,
            backoff=Backoff(initial=0.2, maximum=1.0),
        )
        tasks.append(asyncio.create_task(link.run(), name="test-ami-link"))
        return link

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
