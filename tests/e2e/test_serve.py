"""`ccserver serve` as ops run it: one process, several switches, health endpoints, clean shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from ccserver.sandbox.ami import AmiClient
from ccserver.sandbox.service import SandboxInfo
from ccserver.settings import Settings
from tests.e2e.switch import wait_call_row_ended

pytestmark = pytest.mark.sandbox


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_switch(ami_url: str, switch_id: str) -> str:
    return ami_url.split("?", 1)[0] + f"?switch={switch_id}"


async def _get(client: httpx.AsyncClient, path: str) -> httpx.Response | None:
    try:
        return await client.get(path)
    except httpx.TransportError:
        return None


async def test_serve_with_two_switches_and_one_unreachable(
    sandbox: SandboxInfo, migrated_db_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    dead = f"ami://ccserver:x@127.0.0.1:{_free_port()}?switch=pbx-dead"
    env = {
        **os.environ,
        "CCSERVER_DATABASE_URL": migrated_db_url,
        "CCSERVER_AMI_URL": ",".join([_as_switch(sandbox.ami_url, s) for s in ("pbx-a", "pbx-b")] + [dead]),
        "CCSERVER_HTTP_BIND": f"127.0.0.1:{port}",
        "CCSERVER_SPOOL_DIR": str(tmp_path / "spool"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ccserver", "serve", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    log: list[str] = []
    reader = asyncio.create_task(_collect(process, log))
    try:
        await _exercise(port, sandbox, migrated_db_url)
    except BaseException as exc:
        exc.add_note("ccserver serve said:\n" + "".join(log[-60:]))
        raise
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 20)
        await reader
    assert process.returncode == 0, "".join(log[-60:])
    assert "stopping: draining the journal" in "".join(log)


async def _collect(process: asyncio.subprocess.Process, log: list[str]) -> None:
    assert process.stdout is not None
    async for line in process.stdout:
        log.append(line.decode(errors="replace"))


async def _exercise(port: int, sandbox: SandboxInfo, migrated_db_url: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        async with asyncio.timeout(30):
            while (ready := await _get(client, "/readyz")) is None or not (
                ready.json().get("ami:pbx-a") and ready.json().get("ami:pbx-b")
            ):
                await asyncio.sleep(0.2)
        assert ready.status_code == 503  # one switch is down, so not ready...
        assert ready.json() == {"database": True, "ami:pbx-a": True, "ami:pbx-b": True, "ami:pbx-dead": False}
        assert (await client.get("/healthz")).status_code == 200  # ...but alive

        # a call on the switch is recorded once per link, each under its own switch id (the test
        # session's own backbone records it too, as switch "sandbox")
        conn = await asyncpg.connect(Settings(database_url=migrated_db_url).asyncpg_dsn)
        try:
            linkedid = await _originate_from_another_ami_session(sandbox)
            await wait_call_row_ended(Settings(database_url=migrated_db_url).asyncpg_dsn, linkedid)
            async with asyncio.timeout(20):
                while len(rows := await conn.fetch(
                    "SELECT switch_id, state FROM calls WHERE linkedid = $1 AND switch_id LIKE 'pbx-%'"
                    " ORDER BY switch_id", linkedid
                )) < 2 or any(r["state"] != "ended" for r in rows):
                    await asyncio.sleep(0.2)
            assert [r["switch_id"] for r in rows] == ["pbx-a", "pbx-b"]
            events = await conn.fetchval(
                "SELECT count(DISTINCT switch_id) FROM call_events WHERE linkedid = $1 AND switch_id LIKE 'pbx-%'",
                linkedid,
            )
            assert events == 2
        finally:
            await conn.close()

        metrics = (await client.get("/metrics")).text
        assert 'ccserver_ami_events_total{switch="pbx-a"}' in metrics
        assert 'ccserver_ami_link_up{switch="pbx-b"} 1.0' in metrics
        assert 'ccserver_ami_link_up{switch="pbx-dead"} 0.0' in metrics
        assert 'ccserver_ami_bad_input_total{switch="pbx-a"} 0.0' in metrics
        assert "ccserver_journal_events_written_total" in metrics


async def _originate_from_another_ami_session(sandbox: SandboxInfo) -> str:
    """Place the call over a separate AMI session, as another application on the switch would."""
    ami = sandbox.ami
    client = await AmiClient.login(ami.host, ami.port, ami.username, ami.secret, events="call")
    try:
        reply = await client.action(
            "Originate", Channel="Local/6@sim-caller", Context="from-pstn", Exten="20102", Priority="1",
            Async="true", CallerID="<+14155550100>",
        )
        assert reply.get("Response") == "Success", reply
        async with asyncio.timeout(15):
            event = await client.wait_for_event("OriginateResponse")
        return str(event.get("Uniqueid"))
    finally:
        await client.close()


async def test_refused_login_is_reported_and_retried(sandbox: SandboxInfo, caplog: pytest.LogCaptureFixture) -> None:
    from ccserver.asterisk.ami_link import AmiLink, Backoff
    from ccserver.asterisk.ami_url import parse_ami_url
    from tests.replay.support import CollectingListener

    endpoint = parse_ami_url(f"ami://ccserver:wrong@{sandbox.ami.host}:{sandbox.ami.port}?switch=bad-secret")
    link = AmiLink(endpoint, CollectingListener(), backoff=Backoff(initial=0.2, maximum=0.2))
    task = asyncio.create_task(link.run())
    try:
        async with asyncio.timeout(10):  # Asterisk answers a failed login only after a pause
            while caplog.text.count("login refused for user 'ccserver'") < 2:  # and it kept trying
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert link.logins == 0 and not link.ready.is_set()
