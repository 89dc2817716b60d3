"""The ACD as `ccserver serve` runs it: configuration and agents' states loaded from PostgreSQL, the
live engine on the event bus, its store, timers, and a watch on the configuration (REST, `acd load`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.acd.agi import AcdAgi
from ccserver.acd.journal import AcdJournal
from ccserver.acd.live import LiveAcd
from ccserver.acd.live_view import LiveWallboard, live_wallboard
from ccserver.acd.places import TRANSFER_CONTEXT, CallPlace
from ccserver.acd.store import AcdStore
from ccserver.acd.supervision import MODES, RING_S, MonitorPlan, agent_side, plan_monitor, transfer_exten
from ccserver.asterisk.ami_link import AmiActionFailed
from ccserver.asterisk.gateway import SwitchUnavailable
from ccserver.backbone import Backbone
from ccserver.crm import acd_rows
from ccserver.crm.acd_config import list_reasons
from ccserver.crm.routing_snapshot import configured_snapshot
from ccserver.events.tracker import CallTracker
from ccserver.routing import Logout, RoutingEngine, Snapshot, WaitingCall
from ccserver.routing.agent_states import Transition
from ccserver.routing.model import AgentStatus
from ccserver.supervisor import Supervisor
from ccserver.tasks import TaskSet

log = logging.getLogger(__name__)

CONFIG_POLL_S = 5.0
RESYNC_WAIT_S = 15.0  # how long restoring held calls waits for the switches' resync
SWITCH_WATCH_S = 0.5  # how often the switches' links are looked at (a silent switch's callers)
ON_A_CALL_AT_RESTART = "on a call when ccserver restarted"


class Acd:
    def __init__(
        self, *, backbone: Backbone, sessions: Callable[[], AsyncSession], clock: Callable[[], float] = time.time,
    ) -> None:
        settings = backbone.settings
        self._backbone = backbone
        self._switch_lost_s = settings.acd_switch_lost_s
        self._sessions = sessions
        self._clock = clock
        self.store = AcdStore(sessions)
        journal = AcdJournal(bus=backbone.bus, ids=backbone.ids, clock=lambda: datetime.now(UTC))
        self.live = LiveAcd(
            engine=RoutingEngine(queues=()), switches=backbone.gateway(), store=self.store, journal=journal,
            clock=clock, outbound_dial=settings.outbound_dial,
        )
        backbone.bus.subscribe(self.live)
        self.agi = AcdAgi(self.live, switch_ids=list(backbone.switches), normalise_phone=backbone.normalise_phone,
                          clock=clock)
        self._config_changed = asyncio.Event()
        self._loaded = asyncio.Event()
        self.restored = False
        self._monitors = TaskSet()  # supervisors' phones being rung

    async def start(self, supervisor: Supervisor) -> None:
        try:
            await self._load()
        except Exception as exc:  # no database yet: the config watch loads it when it can
            log.warning("ACD: configuration not loaded at start (%s); retrying", exc)
        supervisor.start("acd-store", self.store.run)
        supervisor.start("acd-timers", self.live.run_timers)
        supervisor.start("acd-config", self._watch_config)
        supervisor.start("acd-switches", self._watch_switches)

    @property
    def loaded(self) -> bool:
        """Configuration and agents' states are loaded: the ACD routes."""
        return self._loaded.is_set()

    async def wait_loaded(self) -> None:
        await self._loaded.wait()

    async def request_state(
        self, agent_id: str, state: str, reason: str | None, source: str, *, extend_s: float | None = None
    ) -> AgentStatus:
        return await self.live.request_state(agent_id, state, reason, source, extend_s=extend_s)

    def config_changed(self) -> None:
        """Queues, agents or reason codes changed (REST): reload them now rather than at the next poll."""
        self._config_changed.set()

    async def _load(self) -> None:
        """The engine from the database: queues, active agents and their recorded states. An agent the
        database has reserved or on a call lost that call's tracking with the old process: reserved and
        wrap-up become ready, on-call not ready (the agent says when they are free)."""
        now = self._clock()
        snapshot, reasons = await self._read_config()
        statuses, changes = [], []
        for status in snapshot.statuses:
            settled = _settled_at_restart(status, now)
            statuses.append(settled)
            if settled.state != status.state:
                changes.append(Transition(status.agent_id, status.state, settled.state, now, settled.reason))
        engine = RoutingEngine.from_snapshot(replace(snapshot, statuses=tuple(statuses)), now, reason_codes=reasons)
        self.live.engine = engine
        self.store.transitions(changes, "system")
        self._loaded.set()
        log.info("ACD: %d queues, %d agents (%d logged in)", len(snapshot.queues), len(snapshot.agents),
                 sum(s.state != "logged_out" for s in statuses))

    async def _restore_held(self) -> None:
        """The calls the previous ccserver held (acd_waiting), once the switches are resynced: a caller
        still holding on its switch waits again at its place; a callback request stays one; a waiting
        caller whose channel is gone (the switch restarted meanwhile) is called back."""
        with contextlib.suppress(TimeoutError):
            await self._backbone.wait_switches_ready(RESYNC_WAIT_S)
        async with self._sessions() as session:
            held = await acd_rows.load_held(session)
        restored = 0
        for call, linkedid in held:
            if self.live.place_of(call.call_id) is not None:
                continue  # already queued again by its caller's announcement
            alive = call.uniqueid is not None and self._channel_alive(call.switch_id, call.uniqueid)
            callback = call.callback or not alive
            if call.state == "connected" or call.queue not in self.live.engine.queues or (
                    callback and not call.callback_number):
                self.store.drop(call.call_id)
                continue
            place = CallPlace(
                call_id=call.call_id, switch_id=call.switch_id, linkedid=linkedid or call.uniqueid or call.call_id,
                uniqueid=call.uniqueid if alive else None, channel=call.channel if alive else None,
                caller_number=call.callback_number or "", callback_number=call.callback_number if callback else None,
                state="callback_pending" if callback else "waiting",
            )
            self.live.restore(place, WaitingCall(
                call_id=call.call_id, queue=call.queue, enqueued_at=call.enqueued_at, priority=call.priority,
                skills=call.skills, language=call.language, callback=callback,
                queue_entered_at=call.queue_entered_at, step=call.step,
            ))
            restored += 1
        self.restored = True
        if held:
            log.info("ACD: %d of %d held calls restored", restored, len(held))

    async def _watch_switches(self) -> None:
        """A switch silent for `acd_switch_lost_s` is taken for dead: its waiting callers are called back."""
        down_since: dict[str, float] = {}
        declared: set[str] = set()
        while True:
            await asyncio.sleep(SWITCH_WATCH_S)
            now = self._clock()
            for switch_id, switch in self._backbone.switches.items():
                if switch.link.ready.is_set():
                    if down_since.pop(switch_id, None) is not None:
                        self.live.switches_back()
                    declared.discard(switch_id)
                    continue
                since = down_since.setdefault(switch_id, now)
                if now - since >= self._switch_lost_s and switch_id not in declared:
                    declared.add(switch_id)
                    lost = self.live.switch_lost(switch_id)
                    log.warning("ACD: switch %s silent for %.0f s: %d waiting callers to be called back",
                                switch_id, now - since, lost)

    def _trackers(self) -> dict[str, CallTracker]:
        """Each switch's live calls and channels (who is bridged with whom)."""
        return {switch_id: switch.ingest.tracker for switch_id, switch in self._backbone.switches.items()}

    async def close(self) -> None:
        """Stop commanding the switches: the live ACD's pending commands, supervisors' phones being rung."""
        await self.live.close()
        await self._monitors.close()

    def _channel_alive(self, switch_id: str, uniqueid: str) -> bool:
        switch = self._backbone.switches.get(switch_id)
        return switch is not None and switch.link.ready.is_set() and uniqueid in switch.ingest.tracker.legs

    async def _watch_config(self) -> None:
        while True:
            if self.loaded and not self.restored:
                try:
                    await self._restore_held()
                except Exception as exc:
                    log.warning("ACD: held calls not restored yet (%s)", exc)
            try:
                async with asyncio.timeout(CONFIG_POLL_S):
                    await self._config_changed.wait()
            except TimeoutError:
                pass
            self._config_changed.clear()
            try:
                if not self.loaded:
                    await self._load()
                else:
                    await self._refresh()
            except Exception as exc:
                log.warning("ACD: configuration not refreshed (%s)", exc)

    async def _refresh(self) -> None:
        self._apply_config(*await self._read_config())

    async def _read_config(self) -> tuple[Snapshot, list[str]]:
        """Queues, active agents in their recorded states, and the not-ready reason codes."""
        async with self._sessions() as session:
            snapshot = await configured_snapshot(session=session)
            return snapshot, [r.code for r in await list_reasons(session=session)]

    def _apply_config(self, snapshot: Snapshot, reasons: list[str]) -> None:
        engine, now = self.live.engine, self._clock()
        engine.set_reason_codes(reasons)
        if {q.name: q for q in snapshot.queues} != dict(engine.queues):
            try:
                self.live.apply_outcome(engine.set_queues(snapshot.queues, now))
            except ValueError as exc:  # a queue still holding calls was removed: keep the old set
                log.warning("ACD: queues not changed: %s", exc)
        active = {agent.id for agent in snapshot.agents}
        for agent in snapshot.agents:
            if engine.agents.get(agent.id) != agent:
                self.live.apply_outcome(engine.set_agent(agent, now))
        for agent_id in set(engine.agents) - active:  # deactivated or deleted: no more calls
            if engine.status(agent_id).state != "logged_out":
                self.live.apply_outcome(engine.agent_changed(agent_id, Logout("deactivated"), now))

    def wallboard(self) -> LiveWallboard:
        """Queues and logged-in agents now, by this ACD's clock (the wallboard's live figures)."""
        return live_wallboard(self.live.engine, self._clock())

    async def monitor(self, agent_id: str, mode: str, supervisor_extension: str, by: str) -> MonitorPlan:
        """A supervisor listens to, whispers to or barges into the agent's live call from their own phone
        (rung now; ChanSpy once they answer). On the call's record with who asked. Raises KeyError (agent
        not routed), NotOnACall, ValueError (mode)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        plan = plan_monitor(self.live, self._trackers(), agent_id, mode, supervisor_extension)  # type: ignore[arg-type]
        self.live.note(plan.call_id, "SupervisorMonitor", mode=mode, agent_id=agent_id, by=by,
                       supervisor_extension=supervisor_extension, spied_channel=plan.agent_channel)
        self._monitors.spawn(self._ring_supervisor(plan, by), name=f"monitor {plan.call_id}")
        return plan

    async def transfer(self, agent_id: str, *, queue: str | None, extension: str | None, by: str) -> str:
        """The agent's desktop hands the caller on: to a queue (the caller queues again there) or to another
        agent's extension; the agent's part ends (wrap-up) when the switch reports the transfer. The call id.
        Raises KeyError (agent not routed or unknown queue), NotOnACall, SwitchUnavailable."""
        if queue is not None and queue not in self.live.engine.queues:
            raise KeyError(f"queue {queue}")
        call_id, place, agent_channel = agent_side(self.live, self._trackers(), agent_id)
        self.live.note(call_id, "TransferAsked", by=by, to_queue=queue, to_extension=extension)
        try:
            await self._backbone.gateway().blind_transfer(
                place.switch_id, agent_channel, TRANSFER_CONTEXT, transfer_exten(queue=queue, extension=extension)
            )
        except AmiActionFailed as exc:  # e.g. the call ended meanwhile
            raise SwitchUnavailable(f"{place.switch_id}: {exc}") from exc
        return call_id

    async def _ring_supervisor(self, plan: MonitorPlan, by: str) -> None:
        try:
            reply = await self._backbone.gateway().originate(plan.switch_id, plan.fields, timeout=RING_S + 10)
        except Exception as exc:
            reply = {"Response": "Failure", "Reason": str(exc)}
        if reply.get("Response") != "Success":
            self.live.note(plan.call_id, "SupervisorMonitorFailed", by=by, reason=reply.get("Reason", ""))

    def agent_now(self, agent_id: str) -> dict[str, object] | None:
        if agent_id not in self.live.engine.agents:
            return None
        status = self.live.engine.status(agent_id)
        calls = status.connected + status.offered
        return {"state": status.state, "reason": status.reason, "since": status.since, "pending": status.pending,
                "wrapup_until": status.wrapup_until, "call_id": calls[0] if calls else None}


def _settled_at_restart(status: AgentStatus, now: float) -> AgentStatus:
    if status.state in ("reserved", "wrap_up"):
        return replace(status, state="ready", reason="ready", since=now, idle_since=now)
    if status.state == "on_call":
        return replace(status, state="not_ready", reason=ON_A_CALL_AT_RESTART, since=now)
    return status
