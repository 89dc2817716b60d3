"""A running ACD as the API sees it (`LiveAcdDesk`), backed by a real routing engine and a clock the test
sets, with a small center in it: one billing caller ringing at ann, one holding, one callback request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from acd_factory import a_name

from ccserver.acd.live_view import LiveWallboard, live_wallboard
from ccserver.routing import Agent, Login, NotReady, Queue, RoutingEngine, WaitingCall

DAY = datetime(2025, 3, 4, tzinfo=UTC)
NOW = DAY + timedelta(hours=15)


class EngineDesk:
    def __init__(self, engine: RoutingEngine, now: float, *, loaded: bool = True) -> None:
        self.engine = engine
        self.now = now
        self.loaded = loaded

    def config_changed(self) -> None:
        pass

    async def request_state(
        self, agent_id: str, state: str, reason: str | None, source: str, *, extend_s: float | None = None
    ) -> object:
        raise AssertionError("the wallboard only reads")

    def wallboard(self) -> LiveWallboard:
        return live_wallboard(self.engine, self.now)


def small_center() -> tuple[EngineDesk, str, str]:
    """(desk, billing queue name, sales queue name). At NOW: ann (billing 7) has c1 ringing, c2 has held
    40 s, c3 asked for a callback; bob (billing 3) is on a break; cid (billing 2) is ready for sales."""
    billing, sales = a_name("billing"), a_name("sales")
    now = NOW.timestamp()
    engine = RoutingEngine(
        queues=[Queue(billing, skills={"billing": 5}, sl_threshold_s=20.0, sl_target_pct=85.0), Queue(sales)],
        agents=[Agent("a-ann", "2001", "Ann", {"billing": 7}), Agent("a-bob", "2002", "Bob", {"billing": 3}),
                Agent("a-cid", "2003", "Cid", {"billing": 2}), Agent("a-dan", "2004", "Dan", {"billing": 9})],
    )
    for agent_id in ("a-ann", "a-bob", "a-cid"):
        engine.agent_changed(agent_id, Login(ready=True), now - 600)
    engine.agent_changed("a-bob", NotReady("break"), now - 300)
    for n, waited in ((1, 50.0), (2, 40.0), (3, 30.0)):
        engine.call_arrived(WaitingCall(f"c{n}", billing, enqueued_at=now - waited), now - waited)
    engine.callback_requested("c3", now - 10)
    return EngineDesk(engine, now), billing, sales
