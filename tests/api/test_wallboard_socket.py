"""/ws/wallboard: the API key in `?key=` or the Authorization header, close codes for a missing key and
a role that may not read, the wallboard at once, again when it changes and as a heartbeat, and a server
side that stops when the wallboard page goes."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect
from wallboard_desk import EngineDesk, small_center

from ccserver.api.app import create_app
from ccserver.api.routes import wallboard as wallboard_routes
from ccserver.crm.database import create_engine
from ccserver.routing import WaitingCall
from ccserver.settings import Settings

Headers = dict[str, str]


@pytest.fixture
async def loop_free_engine(migrated_db_url: str) -> AsyncIterator[AsyncEngine]:
    """TestClient runs the app on an event loop of its own: no pooled connection may cross over."""
    engine = create_engine(database_url=migrated_db_url, pooled=False)
    yield engine
    await engine.dispose()


@pytest.fixture
async def keys(headers_for: Callable[[str], Awaitable[Headers]]) -> dict[str, str]:
    return {role: (await headers_for(role))["Authorization"].removeprefix("Bearer ")
            for role in ("admin", "supervisor", "agent")}


class EndpointWatch:
    """Wraps the app: `returned` is set once a WebSocket endpoint has returned on its own."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.returned = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            self.returned.set()


def client_for(desk: EngineDesk, settings: Settings, engine: AsyncEngine) -> tuple[TestClient, EndpointWatch]:
    watch = EndpointWatch(create_app(settings=settings, engine=engine, live_acd=desk))
    return TestClient(watch), watch


def close_code(client: TestClient, url: str, **kwargs: Any) -> int:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(url, **kwargs) as socket:
        socket.receive_json()
    return closed.value.code


def test_no_key_or_a_bad_one_is_4401_and_an_agents_key_4403(
    test_settings: Settings, loop_free_engine: AsyncEngine, keys: dict[str, str]
) -> None:
    desk, _, _ = small_center()
    client, _ = client_for(desk, test_settings, loop_free_engine)

    assert close_code(client, "/ws/wallboard") == 4401
    assert close_code(client, "/ws/wallboard?key=ccs_00000000_notarealkeynotarealkeynotarealke") == 4401
    assert close_code(client, "/ws/wallboard", headers={"Authorization": "Basic dXNlcjpwYXNz"}) == 4401
    assert close_code(client, f"/ws/wallboard?key={keys['agent']}") == 4403
    assert close_code(client, "/ws/wallboard", headers={"Authorization": f"Bearer {keys['agent']}"}) == 4403


def test_first_message_is_the_wallboard_with_at_and_the_server_stops_when_the_page_goes(
    test_settings: Settings, loop_free_engine: AsyncEngine, keys: dict[str, str]
) -> None:
    desk, billing, sales = small_center()
    client, watch = client_for(desk, test_settings, loop_free_engine)

    with client.websocket_connect(f"/ws/wallboard?key={keys['supervisor']}") as socket:
        first = socket.receive_json()
        socket.close()
        assert watch.returned.wait(5), "the wallboard endpoint went on after the client left"

    assert first["at"] == "2025-03-04T15:00:00Z"  # NOW
    queues = {q["name"]: q for q in first["queues"]}
    assert list(queues) == [billing, sales]
    assert queues[billing]["live"] == {
        "waiting": 1, "callbacks_waiting": 1, "longest_wait_s": 40.0,
        "agents": {"ready": 0, "not_ready": 0, "reserved": 1, "on_call": 0, "wrap_up": 0},
    }
    assert queues[billing]["today"]["since"] == "2025-03-04T00:00:00Z"
    assert [(a["name"], a["state"], a["reason"]) for a in first["agents"]] == [
        ("Ann", "reserved", None), ("Bob", "not_ready", "break"), ("Cid", "ready", None),
    ]


def test_a_change_is_pushed_within_seconds_and_an_unchanged_board_as_a_heartbeat(
    test_settings: Settings, loop_free_engine: AsyncEngine, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wallboard_routes, "PUSH_EVERY_S", 0.05)
    monkeypatch.setattr(wallboard_routes, "HEARTBEAT_S", 0.3)
    desk, billing, _ = small_center()
    client, _ = client_for(desk, test_settings, loop_free_engine)

    with client.websocket_connect("/ws/wallboard", headers={"Authorization": f"Bearer {keys['admin']}"}) as socket:
        first = socket.receive_json()
        heartbeat = socket.receive_json()  # nothing changed: the same board again after HEARTBEAT_S
        call = WaitingCall("c4", billing, enqueued_at=desk.now - 5)
        socket.portal.call(lambda: desk.engine.call_arrived(call, desk.now))
        asked = time.monotonic()
        later = [socket.receive_json()]
        while waiting_in(later[-1], billing) == 1 and len(later) < 20:
            later.append(socket.receive_json())  # heartbeats until the board (a second old at most) is built again
        took = time.monotonic() - asked

    assert heartbeat == first
    assert waiting_in(first, billing) == 1 and waiting_in(later[-1], billing) == 2
    assert took < 2.5


def waiting_in(frame: dict[str, Any], queue: str) -> int:
    waiting: int = next(q["live"]["waiting"] for q in frame["queues"] if q["name"] == queue)
    return waiting


def test_without_a_loaded_acd_the_socket_closes_try_again_later(
    test_settings: Settings, loop_free_engine: AsyncEngine, keys: dict[str, str]
) -> None:
    desk, _, _ = small_center()
    client, _ = client_for(EngineDesk(desk.engine, desk.now, loaded=False), test_settings, loop_free_engine)

    assert close_code(client, f"/ws/wallboard?key={keys['admin']}") == 1013
