"""The real sandbox: up is idempotent and fast, reload keeps calls, restart comes back FullyBooted."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ccserver.sandbox import (
    SandboxInfo,
    asterisk_cli,
    ensure_sandbox_up,
    reload_switch,
    restart_asterisk,
    sandbox_status,
)
from ccserver.sandbox.ami import AmiClient, AmiMessage

pytestmark = pytest.mark.sandbox

PROJECT = Path(__file__).resolve().parents[2]
CCSERVER = [sys.executable, "-m", "ccserver.cli"]


def _login(info: SandboxInfo) -> tuple[str, int, str, str]:
    return info.ami.host, info.ami.port, info.ami.username, info.ami.secret


async def _call_channels(ami: AmiClient, linkedid: str) -> list[AmiMessage]:
    _, channels = await ami.list_action("CoreShowChannels")
    return [c for c in channels if c.get("Linkedid") == linkedid]


async def _wait_bridged(ami: AmiClient, linkedid: str) -> list[AmiMessage]:
    """The call's four Local halves, once caller and callee are bridged."""
    for _ in range(100):
        channels = await _call_channels(ami, linkedid)
        if len(channels) == 4 and sum(1 for c in channels if c.get("BridgeId")) >= 2:
            return channels
        await asyncio.sleep(0.1)
    raise AssertionError(f"call {linkedid} never bridged: {[c.get('Channel') for c in channels]}")


def test_up_again_reuses_the_running_switch_in_well_under_a_few_seconds(sandbox: SandboxInfo) -> None:
    began = time.monotonic()
    result = subprocess.run([*CCSERVER, "sandbox", "up"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == sandbox.ami_url
        == "ami://ccserver:sandbox-secret@127.0.0.1:5038?switch=sandbox"
    )
    assert "already running" in result.stderr
    assert time.monotonic() - began < 5


def test_status_reports_a_running_asterisk_22_answering_ami(sandbox: SandboxInfo) -> None:
    status = sandbox_status()
    assert status.provisioned and status.running and status.ami_ok
    assert status.version.startswith("22.")
    result = subprocess.run([*CCSERVER, "sandbox", "status"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "running" in result.stdout


def test_the_sandbox_dialplan_is_the_repos(sandbox: SandboxInfo) -> None:
    assert "[ Context 'from-pstn' created by 'pbx_config' ]" in asterisk_cli("dialplan show from-pstn")
    assert "Local/{did}@sim-callee" in asterisk_cli("dialplan show globals")


async def test_reload_picks_up_a_dialplan_change_without_dropping_the_call_in_progress(
    sandbox: SandboxInfo, tmp_path: Path
) -> None:
    for name in ("asterisk-conf", "dialplans"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    linkedid = f"reload-{uuid.uuid4().hex[:12]}"
    ami = await AmiClient.login(*_login(sandbox))
    channels: list[AmiMessage] = []
    try:
        # The caller stays 60 s; the fallback dials Local/20150@sim-callee: answers after 1 s, talks 50 s.
        reply = await ami.action(
            "Originate",
            Channel="Local/60@sim-caller",
            Context="from-pstn",
            Exten="20150",
            Priority="1",
            Async="true",
            ChannelId=linkedid,
            CallerID='"Reload Test" <5550100>',
        )
        assert reply.get("Response") == "Success", reply.headers
        channels = await _wait_bridged(ami, linkedid)

        with (tmp_path / "dialplans" / "simulator.conf").open("a") as dialplan:
            dialplan.write("\n[reload-probe]\nexten => s,1,NoOp(picked up by reload)\n")
        report = await reload_switch(tmp_path)

        assert report.changes.changed == ["dialplans/simulator.conf"]
        assert report.reloaded == ["pbx_config"] and report.ok
        assert "picked up by reload" in await ami.command("dialplan show reload-probe")
        after = await _call_channels(ami, linkedid)
        assert {c.get("Channel") for c in after} == {c.get("Channel") for c in channels}
        assert all(c.get("ChannelStateDesc") == "Up" for c in after)
    finally:
        for channel in channels:
            await ami.action("Hangup", Channel=channel.get("Channel"))
        await ami.close()
        await reload_switch(PROJECT)


def test_restart_brings_the_switch_back_fully_booted(sandbox: SandboxInfo) -> None:
    info = restart_asterisk()
    assert info.started and info.boot_seconds < 30
    assert ensure_sandbox_up().pid == info.pid
