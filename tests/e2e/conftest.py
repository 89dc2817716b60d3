"""The real Asterisk sandbox and a running event path (AMI -> normaliser -> journal) on the test database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ccserver.backbone import Backbone
from ccserver.metrics import Metrics
from ccserver.sandbox.service import SandboxInfo, ensure_sandbox_up
from ccserver.settings import Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
async def sandbox() -> SandboxInfo:
    return await asyncio.to_thread(ensure_sandbox_up, PROJECT_DIR)


@pytest.fixture(scope="session")
def recording() -> bytearray:
    """Every byte the sandbox's AMI link received during the session."""
    return bytearray()


@pytest.fixture(scope="session")
async def backbone(
    sandbox: SandboxInfo, migrated_db_url: str, tmp_path_factory: pytest.TempPathFactory, recording: bytearray
) -> AsyncIterator[Backbone]:
    settings = Settings(
        database_url=migrated_db_url, ami_url=sandbox.ami_url, spool_dir=tmp_path_factory.mktemp("spool"),
        ami_ping_interval=1.0, default_region="US", outbound_dial="Local/{number}@sim-customer",
    )
    backbone = Backbone.build(settings, Metrics())
    backbone.switches["sandbox"].link.raw_tap = recording.extend
    await backbone.start()
    await backbone.wait_switches_ready(30)
    try:
        yield backbone
    finally:
        await backbone.stop()
