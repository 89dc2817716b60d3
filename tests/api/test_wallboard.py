"""The wallboard over REST: a queue's live and today's figures, every queue and logged-in agent at once,
who may read them, and 503 while there is no live ACD to show."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from acd_events import AcdEvents
from sqlalchemy.ext.asyncio import AsyncEngine
from wallboard_desk import DAY, NOW, EngineDesk, small_center

from ccserver.api.app import create_app
from ccserver.api.deps import LiveAcdDesk
from ccserver.settings import Settings

Headers = dict[str, str]
HeadersFor = Callable[[str], Awaitable[Headers]]
ClientFor = Callable[[LiveAcdDesk | None], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_for(test_settings: Settings, db_engine: AsyncEngine) -> AsyncIterator[ClientFor]:
    clients: list[httpx.AsyncClient] = []

    async def make(desk: LiveAcdDesk | None) -> httpx.AsyncClient:
        app = create_app(settings=test_settings, engine=db_engine, live_acd=desk)
        clients.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ccserver.test"))
        return clients[-1]

    yield make
    for client in clients:
        await client.aclose()


async def test_a_queues_stats_are_its_callers_agents_and_todays_calls_against_its_target(
    client_for: ClientFor, headers_for: HeadersFor, acd_events: AcdEvents
) -> None:
    desk, billing, _ = small_center()
    for minute in (1, 2, 3):
        await acd_events.add("Queued", NOW - timedelta(minutes=minute), Queue=billing)
    await acd_events.add("Answered", NOW - timedelta(minutes=2), Queue=billing, WaitedS="10.000", AgentId="a-ann")
    await acd_events.add("Answered", NOW - timedelta(minutes=1), Queue=billing, WaitedS="30.000", AgentId="a-ann")
    await acd_events.add("Left", NOW - timedelta(seconds=30), Queue=billing, WaitedS="45.000", Reason="abandoned")
    await acd_events.add("Answered", DAY - timedelta(minutes=1), Queue=billing, WaitedS="1.000")  # yesterday
    client = await client_for(desk)

    response = await client.get(f"/api/v1/queues/{billing}/stats", headers=await headers_for("supervisor"))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": billing, "sl_target_pct": 85.0, "sl_threshold_s": 20.0,
        "live": {
            "waiting": 1, "callbacks_waiting": 1, "longest_wait_s": 40.0,  # c2; c3 is a callback request
            "agents": {"ready": 0, "not_ready": 0, "reserved": 1, "on_call": 0, "wrap_up": 0},  # only ann qualifies
        },
        "today": {
            "since": "2025-03-04T00:00:00Z", "offered": 3, "answered": 2, "abandoned": 1, "answered_within_sl": 1,
            "asa_s": 20.0, "service_level_pct": 33.33,
        },
    }


async def test_the_wallboard_has_every_queue_and_the_logged_in_agents(
    client_for: ClientFor, headers_for: HeadersFor
) -> None:
    desk, billing, sales = small_center()
    client = await client_for(desk)

    response = await client.get("/api/v1/wallboard", headers=await headers_for("integrator"))

    assert response.status_code == 200, response.text
    body = response.json()
    queues = {q["name"]: q for q in body["queues"]}
    assert list(queues) == [billing, sales]
    assert queues[sales]["live"] == {
        "waiting": 0, "callbacks_waiting": 0, "longest_wait_s": 0.0,
        "agents": {"ready": 1, "not_ready": 1, "reserved": 1, "on_call": 0, "wrap_up": 0},
    }
    assert queues[sales]["today"]["offered"] == 0 and queues[sales]["today"]["service_level_pct"] is None
    assert body["agents"] == [  # dan never logged in
        {"id": "a-ann", "name": "Ann", "extension": "2001", "state": "reserved", "reason": None,
         "since": "2025-03-04T14:59:10Z"},
        {"id": "a-bob", "name": "Bob", "extension": "2002", "state": "not_ready", "reason": "break",
         "since": "2025-03-04T14:55:00Z"},
        {"id": "a-cid", "name": "Cid", "extension": "2003", "state": "ready", "reason": None,
         "since": "2025-03-04T14:50:00Z"},
    ]


async def test_admins_supervisors_and_integrators_read_agents_do_not(
    client_for: ClientFor, headers_for: HeadersFor
) -> None:
    desk, billing, _ = small_center()
    client = await client_for(desk)

    for path in ("/api/v1/wallboard", f"/api/v1/queues/{billing}/stats"):
        for role in ("admin", "supervisor", "integrator"):
            assert (await client.get(path, headers=await headers_for(role))).status_code == 200, (path, role)
        assert (await client.get(path, headers=await headers_for("agent"))).status_code == 403, path
        assert (await client.get(path)).status_code == 401, path


async def test_a_queue_the_acd_does_not_route_is_404(client_for: ClientFor, headers_for: HeadersFor) -> None:
    desk, _, _ = small_center()
    client = await client_for(desk)

    response = await client.get("/api/v1/queues/no-such-queue/stats", headers=await headers_for("admin"))

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_without_a_loaded_live_acd_the_wallboard_is_503_problem(
    client_for: ClientFor, headers_for: HeadersFor
) -> None:
    desk, billing, _ = small_center()
    loading = EngineDesk(desk.engine, desk.now, loaded=False)
    admin = await headers_for("admin")

    for client in (await client_for(None), await client_for(loading)):
        for path in ("/api/v1/wallboard", f"/api/v1/queues/{billing}/stats"):
            response = await client.get(path, headers=admin)
            assert response.status_code == 503, path
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 503 and response.json()["instance"] == path
