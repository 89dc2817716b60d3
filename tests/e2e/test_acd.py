"""The live ACD on the real switch: callers hold in [ccserver-acd], ccserver picks the agent, the agent's
phone rings, and what happened lands in PostgreSQL (decisions, agent state log, call events), over REST
and on the wallboard stream. Fixtures and helpers: tests/e2e/acd_env.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import websockets

from ccserver.api.app import create_app
from ccserver.asterisk.pjsip_agents import AgentProvisioner
from ccserver.backbone import Backbone
from ccserver.bench.harness import wait_until
from ccserver.crm.agents import pjsip_agents
from ccserver.crm.database import session_factory
from ccserver.events.model import call_key
from ccserver.metrics import Metrics
from ccserver.sandbox.paths import sandbox_paths
from ccserver.sandbox.service import SandboxInfo, restart_asterisk
from tests.e2e.acd_env import (
    LINKEDID,
    PROJECT_DIR,
    Env,
    acd_events,
    agent_log,
    enter_queue,
    ready,
    sim_agent,
    state_of,
    wait_events,
)
from tests.e2e.switch import AmiProxy, live_legs, place_inbound_call

pytestmark = [pytest.mark.sandbox, pytest.mark.usefixtures("everyone_logged_out")]

async def test_the_best_skilled_ready_agent_takes_the_call_then_wraps_up(env: Env) -> None:
    started = time.time()
    await sim_agent(env.link, "7101", ring=1, talk=3)
    await ready(env, "7101")
    await ready(env, "7102")
    call_id = await enter_queue(env.link, "e2e_billing", stays=30)

    events = await wait_events(env, call_id, "Ended")
    assert events[:4] == ["Queued", "Offered", "Answered", "Ended"]
    ended = json.loads(await env.db.fetchval(
        "SELECT raw FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdEnded'", call_id))
    assert ended["AgentId"] == env.agents["7101"] and ended["Queue"] == "e2e_billing"
    assert 2.0 < float(ended["TalkS"]) < 6.0  # the simulated agent talks 3 s
    decision = await env.db.fetchrow("SELECT * FROM routing_decisions WHERE call_id = $1 ORDER BY id LIMIT 1", call_id)
    assert str(decision["chosen_agent_id"]) == env.agents["7101"] and decision["trigger"] == "call_arrived"
    assert '"e2e_billing 3 < 5"' in decision["excluded"] or "e2e_billing 3 < 5" in str(decision["excluded"])

    await wait_until(lambda: state_of(env, "7101") == "ready", timeout=15)  # after 3 s of wrap-up
    await env.acd.store.flush()
    states = [(f, t) for f, t, _ in await agent_log(env, "7101", started)]
    assert states[-4:] == [("ready", "reserved"), ("reserved", "on_call"), ("on_call", "wrap_up"), ("wrap_up", "ready")]
    assert await env.db.fetchval("SELECT count(*) FROM acd_waiting WHERE call_id = $1", call_id) == 0

    routing = await env.http.get(f"/api/v1/calls/{call_id}/routing")
    assert routing.status_code == 200, routing.text
    assert routing.json()[0]["chosen_agent_id"] == env.agents["7101"]


async def test_wrap_up_delays_the_next_offer_to_that_agent(env: Env) -> None:
    await sim_agent(env.link, "7101", ring=1, talk=2)
    await ready(env, "7101")
    first = await enter_queue(env.link, "e2e_billing", stays=30)
    await wait_events(env, first, "Answered")
    second = await enter_queue(env.link, "e2e_billing", stays=30)  # waits: the only agent is busy
    await wait_events(env, second, "Answered", timeout=30)
    ended = await env.db.fetchval(
        "SELECT occurred_at FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdEnded'", first)
    offered = await env.db.fetchval(
        "SELECT occurred_at FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdOffered'", second)
    assert 2.9 <= (offered - ended).total_seconds() < 5  # e2e_billing's 3 s of wrap-up, then at once


async def test_ring_no_answer_requeues_at_the_head_and_the_agent_goes_missed(env: Env) -> None:
    started = time.time()
    await sim_agent(env.link, "7103", ring=600, talk=0)  # never answers; the sandbox rings 6 s
    await sim_agent(env.link, "7104", ring=1, talk=2)
    await ready(env, "7103")
    call_id = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, call_id, "Offered")
    await wait_events(env, call_id, "Requeued", timeout=20)
    assert state_of(env, "7103") == "not_ready"
    assert env.acd.live.engine.status(env.agents["7103"]).reason == "missed"
    await ready(env, "7104")
    events = await wait_events(env, call_id, "Ended")
    assert events[:6] == ["Queued", "Offered", "Requeued", "Offered", "Answered", "Ended"]
    triggers = [r["trigger"] for r in await env.db.fetch(
        "SELECT trigger FROM routing_decisions WHERE call_id = $1 ORDER BY id", call_id)]
    assert triggers[0] == "call_arrived" and "requeued" in triggers
    await env.acd.store.flush()
    assert ("reserved", "not_ready", "missed") in await agent_log(env, "7103", started)


async def test_a_caller_who_hangs_up_while_waiting_is_an_abandon_with_its_wait(env: Env) -> None:
    call_id = await enter_queue(env.link, "e2e_tech", stays=3)
    await wait_events(env, call_id, "Left", timeout=20)
    raw = await env.db.fetchval(
        "SELECT raw FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdLeft'", call_id)
    headers = json.loads(raw)
    assert headers["Reason"] == "abandoned"
    assert 1.0 < float(headers["WaitedS"]) < 10.0
    assert await env.db.fetchval("SELECT count(*) FROM acd_waiting WHERE call_id = $1", call_id) == 0


async def test_a_holding_caller_hears_their_position_at_the_queue_s_interval(env: Env) -> None:
    first = await enter_queue(env.link, "e2e_announce", stays=16)
    await wait_events(env, first, "Queued")
    second = await enter_queue(env.link, "e2e_announce", stays=14)
    await wait_events(env, second, "Announced", timeout=20)
    raw = await env.db.fetchval(
        "SELECT raw FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdAnnounced'", second)
    assert json.loads(raw)["Position"] == "2"  # 10 s after joining, behind the first caller
    await wait_events(env, second, "Left", timeout=20)


async def test_higher_priority_is_served_first_and_equal_priority_in_arrival_order(env: Env) -> None:
    await sim_agent(env.link, "7103", ring=1, talk=2)
    first = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, first, "Queued")
    second = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, second, "Queued")
    urgent = await enter_queue(env.link, "e2e_tech", stays=40, priority=50)
    await wait_events(env, urgent, "Queued")
    await env.acd.store.flush()
    held = await env.db.fetchval("SELECT count(*) FROM acd_waiting WHERE call_id = ANY($1::uuid[])",
                                 [first, second, urgent])
    assert held == 3  # on record while they wait: what a restart picks up
    await ready(env, "7103")
    for call_id in (first, second, urgent):
        await wait_events(env, call_id, "Ended", timeout=40)
    offered = await env.db.fetch(
        "SELECT call_id FROM call_events WHERE call_id = ANY($1::uuid[]) AND event = 'ccserver.AcdOffered' ORDER BY id",
        [first, second, urgent])
    assert [str(r["call_id"]) for r in offered] == [urgent, first, second]


async def test_escalation_relaxes_the_skill_after_its_time(env: Env) -> None:
    await sim_agent(env.link, "7102", ring=1, talk=2)
    await ready(env, "7102")  # billing 3: not enough for 5 at first
    entered = time.time()
    call_id = await enter_queue(env.link, "e2e_relax", stays=30)
    events = await wait_events(env, call_id, "Answered", timeout=20)
    assert events[:4] == ["Queued", "Escalated", "Offered", "Answered"]
    chosen = await env.db.fetchrow(
        "SELECT decided_at, step, trigger FROM routing_decisions WHERE call_id = $1 AND chosen_agent_id IS NOT NULL",
        call_id)
    assert chosen["trigger"] == "escalation" and chosen["decided_at"].timestamp() - entered >= 2.5


async def test_a_callback_request_keeps_its_place_and_the_agent_calls_back(env: Env) -> None:
    await sim_agent(env.link, "7103", ring=1, talk=3)
    call_id = await enter_queue(env.link, "e2e_tech", stays=20, keys="ww1")  # presses 1 while holding
    await wait_events(env, call_id, "CallbackRequested", timeout=20)
    await wait_until(lambda: env.acd.live.place_of(call_id) is not None
                     and env.acd.live.place_of(call_id).channel is None, timeout=20)  # the caller hung up
    assert env.acd.live.engine.is_waiting(call_id)
    row = await env.db.fetchrow("SELECT callback, callback_number, state FROM acd_waiting WHERE call_id = $1", call_id)
    assert row["callback"] and row["callback_number"] == "+14155550142" and row["state"] == "callback_pending"
    await ready(env, "7103")
    events = await wait_events(env, call_id, "Ended", timeout=30)
    assert events[-3:] == ["Offered", "Answered", "Ended"]
    ended = json.loads(await env.db.fetchval(
        "SELECT raw FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdEnded'", call_id))
    assert 2.5 < float(ended["TalkS"]) < 6  # the agent talks 3 s: the call lasts until then, not until Local's swap


async def test_an_agent_who_logs_out_gets_no_call_and_waiting_calls_wait(env: Env) -> None:
    await ready(env, "7104")
    response = await env.http.post(f"/api/v1/agents/{env.agents['7104']}/state", json={"state": "logged_out"})
    assert response.json()["state"] == "logged_out"
    call_id = await enter_queue(env.link, "e2e_tech", stays=6)
    await wait_events(env, call_id, "Queued")
    decision = await env.db.fetchrow("SELECT * FROM routing_decisions WHERE call_id = $1", call_id)
    assert decision["chosen_agent_id"] is None and decision["outcome"] == "waiting"
    await wait_events(env, call_id, "Left", timeout=20)
    assert "Offered" not in await acd_events(env, call_id)


async def test_an_unknown_queue_goes_to_the_human_fallback(env: Env) -> None:
    call_id = await enter_queue(env.link, "no_such_queue", stays=6, did="20102")

    async def fallback_dialed() -> bool:
        return bool(await env.db.fetchval(
            "SELECT count(*) FROM legs WHERE call_id = $1 AND channel LIKE 'Local/20102@sim-callee%'", call_id))

    await wait_until(fallback_dialed, timeout=20)
    assert await acd_events(env, call_id) == [] and env.acd.live.place_of(call_id) is None


async def test_callers_waiting_through_a_ccserver_restart_keep_their_place(env: Env) -> None:
    await sim_agent(env.link, "7103", ring=1, talk=2)
    first = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, first, "Queued")
    second = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, second, "Queued")
    enqueued = env.acd.live.engine.call(first).enqueued_at  # type: ignore[union-attr]

    await env.restart_acd()
    await wait_until(lambda: env.acd.restored, timeout=20)
    assert env.acd.live.engine.waiting()[0].call_id == first
    assert env.acd.live.engine.call(first).enqueued_at == pytest.approx(enqueued, abs=0.001)  # type: ignore[union-attr]
    await ready(env, "7103")
    for call_id in (first, second):
        events = await wait_events(env, call_id, "Ended", timeout=40)
        assert events[:2] == ["Queued", "Restored"] and events[-3:] == ["Offered", "Answered", "Ended"]
    offered = await env.db.fetch(
        "SELECT call_id FROM call_events WHERE call_id = ANY($1::uuid[]) AND event = 'ccserver.AcdOffered' ORDER BY id",
        [first, second])
    assert [str(r["call_id"]) for r in offered] == [first, second]


async def test_a_caller_lost_with_a_restarting_switch_is_called_back_at_their_place(env: Env) -> None:
    await sim_agent(env.link, "7104", ring=1, talk=2)
    call_id = await enter_queue(env.link, "e2e_tech", stays=60)
    await wait_events(env, call_id, "Queued")
    await asyncio.to_thread(restart_asterisk, PROJECT_DIR)
    await wait_until(lambda: env.link.ready.is_set(), timeout=60)
    events = await wait_events(env, call_id, "CallbackRequested", timeout=30)
    assert "Left" in events and env.acd.live.engine.call(call_id).callback  # type: ignore[union-attr]
    await ready(env, "7104")
    events = await wait_events(env, call_id, "Ended", timeout=40)
    assert events[-3:] == ["Offered", "Answered", "Ended"]
    customer_legs = await env.db.fetchval(
        "SELECT count(*) FROM legs WHERE channel LIKE 'Local/+14155550142@sim-customer%' AND created_at > now() - "
        "interval '60 seconds'")
    assert customer_legs >= 1  # the customer really was dialed


async def on_a_call_with(env: Env, extension: str, *, talk: int) -> tuple[str, str]:
    """A caller of e2e_tech talking to the (simulated) agent: the call id and the agent's side of the call."""
    await sim_agent(env.link, extension, ring=1, talk=talk)
    await ready(env, extension)
    call_id = await enter_queue(env.link, "e2e_tech", stays=40)
    await wait_events(env, call_id, "Answered")
    tracker = env.backbone.switches["sandbox"].ingest.tracker
    agent_side = [g.channel for g in live_legs(tracker, LINKEDID[call_id])
                  if g.channel.startswith(f"Local/{extension}@sim-agent") and g.channel.endswith(";1")]
    assert len(agent_side) == 1
    return call_id, agent_side[0]


async def test_a_blind_transfer_to_another_queue_is_tracked_and_the_caller_queues_again(env: Env) -> None:
    await sim_agent(env.link, "7101", ring=1, talk=2)
    call_id, agent_side = await on_a_call_with(env, "7103", talk=30)
    await env.link.action({"Action": "BlindTransfer", "Channel": agent_side, "Context": "ccserver-transfer",
                           "Exten": "q-e2e_billing"})
    await wait_events(env, call_id, "Transferred")
    await wait_until(lambda: state_of(env, "7103") == "ready", timeout=10)  # e2e_tech has no wrap-up
    await ready(env, "7101")
    events = await wait_events(env, call_id, "Ended", timeout=30, times=2)
    assert events[:8] == ["Queued", "Offered", "Answered", "Transferred", "Ended", "Queued", "Offered", "Answered"]
    queued = await env.db.fetch(
        "SELECT raw->>'Queue' AS queue FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdQueued' "
        "ORDER BY id", call_id)
    assert [r["queue"] for r in queued] == ["e2e_tech", "e2e_billing"]


async def test_an_attended_transfer_to_another_agent_is_tracked_and_ends_the_first_agent_s_part(env: Env) -> None:
    await sim_agent(env.link, "7101", ring=1, talk=4)
    call_id, agent_side = await on_a_call_with(env, "7103", talk=60)
    # the agent keys the attended-transfer code and 7101 ([ccserver-transfer]), talks to them, hangs up
    await env.link.action({"Action": "Atxfer", "Channel": agent_side, "Exten": "7101"})

    def consulting() -> bool:
        legs = live_legs(env.backbone.switches["sandbox"].ingest.tracker, LINKEDID[call_id])
        return any(g.channel.startswith("Local/7101@sim-agent") for g in legs)

    await wait_until(consulting, timeout=15)
    await asyncio.sleep(1.5)  # 7101 answers
    await env.link.action({"Action": "Hangup", "Channel": agent_side})
    events = await wait_events(env, call_id, "Ended", timeout=20)
    assert events == ["Queued", "Offered", "Answered", "Transferred", "Ended"]
    raw = await env.db.fetchval(
        "SELECT raw FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdTransferred'", call_id)
    assert json.loads(raw)["How"] == "attended"
    assert state_of(env, "7103") == "ready"  # e2e_tech has no wrap-up


async def test_a_callback_taken_by_the_ivr_is_queued_and_called_back(env: Env) -> None:
    await sim_agent(env.link, "7104", ring=1, talk=2)
    linkedid = await place_inbound_call(env.link, did="20199", caller_stays=8, flow="e2e_callback",
                                        caller_id='"Ivy Callback" <+14155550142>')
    call_id = str(call_key("sandbox", linkedid))
    await wait_events(env, call_id, "CallbackRequested", timeout=20)
    waiting = env.acd.live.engine.call(call_id)
    assert waiting is not None and waiting.callback and waiting.language == "en"  # 7104 speaks English
    await ready(env, "7104")
    events = await wait_events(env, call_id, "Ended", timeout=40)
    assert events == ["Queued", "CallbackRequested", "Offered", "Answered", "Ended"]


async def test_the_wallboard_stream_moves_with_the_queue_and_the_agents(env: Env, unused_tcp_port: int) -> None:
    app = create_app(settings=env.backbone.settings, engine=env.db_engine, live_acd=env.acd)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=unused_tcp_port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, timeout=10)
        url = f"ws://127.0.0.1:{unused_tcp_port}/ws/wallboard?key={env.api_key}"
        async with websockets.connect(url) as socket:
            async def next_board(predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
                async with asyncio.timeout(20):
                    while True:
                        board = json.loads(await socket.recv())
                        if predicate(board):
                            return board

            def queue(board: dict[str, Any]) -> dict[str, Any]:
                return next(q for q in board["queues"] if q["name"] == "e2e_tech")

            await next_board(lambda b: queue(b)["live"]["waiting"] == 0)
            await sim_agent(env.link, "7103", ring=1, talk=3)
            call_id = await enter_queue(env.link, "e2e_tech", stays=30)
            waiting = await next_board(lambda b: queue(b)["live"]["waiting"] == 1)
            assert queue(waiting)["live"]["longest_wait_s"] >= 0
            await ready(env, "7103")
            on_call = await next_board(lambda b: any(
                a["extension"] == "7103" and a["state"] == "on_call" for a in b["agents"]))
            assert queue(on_call)["live"]["waiting"] == 0
            await wait_events(env, call_id, "Ended")
            answered = await next_board(lambda b: queue(b)["today"]["answered"] >= 1)
            assert queue(answered)["today"]["offered"] >= queue(answered)["today"]["answered"]
    finally:
        server.should_exit = True
        await serving


BARESIP_CONFIG = """\
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
audio_source aufile,{home}/talk.wav
audio_player aufile,{home}/heard.wav
ausrc_srate 8000
auplay_srate 8000
net_interface 127.0.0.1
sip_listen 127.0.0.1:5071
module_app account.so
"""


@contextlib.asynccontextmanager
async def baresip_agent(extension: str, password: str, talk_s: int) -> AsyncIterator[Path]:
    """A real SIP softphone (baresip, in the sandbox's chroot) registered as the agent, answering by itself.
    It hangs up when its `talk_s` seconds of audio are played. Yields the host path of its home."""
    paths = sandbox_paths()
    home = f"/tmp/ccserver-e2e-baresip-{extension}"
    host_home = paths.in_root(home)
    shutil.rmtree(host_home, ignore_errors=True)
    host_home.mkdir(parents=True)
    (host_home / "config").write_text(BARESIP_CONFIG.format(home=home))
    (host_home / "accounts").write_text(f"<sip:{extension}@127.0.0.1>;auth_pass={password};answermode=auto;regint=60\n")
    await asyncio.to_thread(subprocess.run, ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16",
                            str(host_home / "talk.wav"), "synth", str(talk_s), "sine", "440"], check=True)
    process = await asyncio.create_subprocess_exec(
        "chroot", str(paths.rootfs), "baresip", "-f", home, "-t", "120",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield host_home
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        shutil.rmtree(host_home, ignore_errors=True)


async def test_a_softphone_agent_is_rung_over_pjsip_answers_and_talks(env: Env) -> None:
    provisioner = AgentProvisioner(sandbox_paths().etc_dir, env.backbone.gateway())
    async with session_factory(env.db_engine)() as session:
        result = await provisioner.sync(lambda: pjsip_agents(session=session))
    assert result.status in ("applied", "unchanged"), result.detail

    async def registered() -> bool:
        reply = await env.link.action({"Action": "Getvar", "Variable": "PJSIP_DIAL_CONTACTS(7105)"})
        return "PJSIP/7105/" in str(reply.get("Value", ""))

    async with baresip_agent("7105", "e2e-7105-secret", talk_s=4) as home:
        await wait_until(registered, timeout=30)
        await ready(env, "7105")
        call_id = await enter_queue(env.link, "e2e_sip", stays=30)
        events = await wait_events(env, call_id, "Ended", timeout=40)
        assert events[:4] == ["Queued", "Offered", "Answered", "Ended"]
        agent_legs = await env.db.fetch("SELECT channel, answered_at FROM legs WHERE call_id = $1", call_id)
        assert any(leg["channel"].startswith("PJSIP/7105-") and leg["answered_at"] for leg in agent_legs)
        assert (home / "heard.wav").stat().st_size > 8000  # the softphone heard the caller's side


async def test_callers_of_a_silent_switch_are_called_back_unless_still_holding_when_it_returns(
    env: Env, sandbox: SandboxInfo, tmp_path: Path,
) -> None:
    """The AMI link is cut (the switch goes silent, its callers hold on): past `acd_switch_lost_s` they
    become callback requests at their place; when the link is back, a caller still holding is taken back
    as a waiting caller at their next announcement, and an agent takes the call as usual."""
    await sim_agent(env.link, "7104", ring=1, talk=2)
    credentials, rest = sandbox.ami_url.split("@", 1)  # ami://user:secret@127.0.0.1:5038?switch=sandbox
    async with AmiProxy("127.0.0.1", 5038) as proxy:
        query = rest.split("?", 1)[1]
        settings = env.backbone.settings.model_copy(update={
            "ami_url": f"{credentials}@127.0.0.1:{proxy.port}?{query}", "acd_switch_lost_s": 1.0,
            "spool_dir": tmp_path, "ami_ping_interval": 0.5,
        })
        watched = Backbone.build(settings, Metrics())
        await watched.start()
        await env.stop_acd()
        try:
            await watched.wait_switches_ready(15)
            await env.start_acd(watched)
            call_id = await enter_queue(env.link, "e2e_watch", stays=40)
            await wait_events(env, call_id, "Queued")
            proxy.cut()
            events = await wait_events(env, call_id, "CallbackRequested", timeout=15)
            assert env.acd.live.engine.call(call_id).callback  # type: ignore[union-attr]
            proxy.mend()
            await wait_events(env, call_id, "CallerBack", timeout=30)  # its announcement, 10 s after joining
            await ready(env, "7104")
            events = await wait_events(env, call_id, "Ended", timeout=30)
            wanted = ["Queued", "CallbackRequested", "CallerBack", "Offered", "Answered", "Ended"]
            assert [e for e in events if e in wanted] == wanted
            assert "Restored" not in events
        finally:
            for agent_id in env.agents.values():
                if env.acd.live.engine.status(agent_id).state in ("ready", "not_ready", "wrap_up"):
                    await env.acd.request_state(agent_id, "logged_out", None, "supervisor")
            await env.stop_acd(watched)
            await watched.stop()
            await env.start_acd()


async def test_a_supervisor_listens_to_then_barges_into_an_agent_s_call_on_record(env: Env) -> None:
    await sim_agent(env.link, "7103", ring=1, talk=20)
    await sim_agent(env.link, "7199", ring=1, talk=60)  # the supervisor's phone: a simulated one
    await ready(env, "7103")
    call_id = await enter_queue(env.link, "e2e_tech", stays=30)
    await wait_events(env, call_id, "Answered")

    async def spy_starts(spied: str) -> int:  # the supervisor's phone is its own call in the journal
        return int(await env.db.fetchval(
            "SELECT count(*) FROM call_events WHERE event = 'ChanSpyStart' AND raw->>'SpyeeChannel' = $1", spied))

    for n, mode in enumerate(("listen", "barge"), start=1):
        response = await env.http.post(f"/api/v1/agents/{env.agents['7103']}/monitor",
                                       json={"mode": mode, "extension": "7199"})
        assert response.status_code == 202, response.text
        spied_channel = response.json()["spied_channel"]
        assert spied_channel.startswith("Local/7103@sim-agent")

        async def spied(n: int = n, channel: str = spied_channel) -> bool:  # ChanSpy began on the switch
            return await spy_starts(channel) >= n

        await wait_until(spied, timeout=15)
    recorded = [json.loads(r["raw"]) for r in await env.db.fetch(
        "SELECT raw FROM call_events WHERE call_id = $1 AND event = 'ccserver.AcdSupervisorMonitor' ORDER BY id",
        call_id)]
    assert [(r["Mode"], r["SupervisorExtension"]) for r in recorded] == [("listen", "7199"), ("barge", "7199")]
    assert all(r["By"] and r["AgentId"] == env.agents["7103"] for r in recorded)

    idle = await env.http.post(f"/api/v1/agents/{env.agents['7104']}/monitor",
                               json={"mode": "whisper", "extension": "7199"})
    assert idle.status_code == 409
