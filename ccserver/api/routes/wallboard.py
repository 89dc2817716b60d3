"""The supervisor's wallboard: /api/v1/wallboard, /api/v1/queues/{name}/stats and the /ws/wallboard push.

Admins, supervisors and integrators read it. Figures come from the running ACD (ccserver/acd/live_view.py)
and today's journal (ccserver/crm/acd_stats.py), through one shared `WallboardFeed`; without a live ACD
the REST routes answer 503.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, WebSocket
from starlette.websockets import WebSocketDisconnect

from ccserver.api.auth import require_role
from ccserver.api.deps import AppContext
from ccserver.api.schemas.common import problem_responses
from ccserver.api.schemas.wallboard import QueueStatsOut, WallboardOut
from ccserver.api.socket_auth import (
    FORBIDDEN,
    SERVER_ERROR,
    TRY_AGAIN_LATER,
    UNAUTHENTICATED,
    socket_key,
    until_closed,
)
from ccserver.api.wallboard_feed import AcdUnavailable, Board, WallboardFeed
from ccserver.crm.acd_model import NAME_PATTERN
from ccserver.crm.apikeys import ApiKey, Role
from ccserver.crm.errors import NotFound

log = logging.getLogger(__name__)

READERS = (Role.ADMIN, Role.SUPERVISOR, Role.INTEGRATOR)
WallboardReader = Annotated[ApiKey, Depends(require_role(*READERS))]
PUSH_EVERY_S = 1.0  # a frame each second while anything changed ...
HEARTBEAT_S = 10.0  # ... and at least this often regardless

router = APIRouter(tags=["wallboard"], responses=problem_responses(401, 403, 503))


def get_feed(request: Request) -> WallboardFeed:
    feed: WallboardFeed = request.app.state.wallboard
    return feed


FeedDep = Annotated[WallboardFeed, Depends(get_feed)]


async def _board(feed: WallboardFeed) -> Board:
    try:
        return await feed.board()
    except AcdUnavailable:
        raise HTTPException(503, "The live ACD is not running or has not loaded yet.", {"Retry-After": "5"}) from None


@router.get("/api/v1/wallboard", summary="Every queue's figures and every logged-in agent")
async def get_wallboard(feed: FeedDep, _: WallboardReader) -> WallboardOut:
    """Live figures at most a second old; today's (since midnight UTC) at most a few seconds old.
    `/ws/wallboard` pushes the same, with `at`."""
    return (await _board(feed)).out


@router.get("/api/v1/queues/{name}/stats", tags=["queues"], responses=problem_responses(404),
            summary="A queue's live and today's figures")
async def get_queue_stats(
    name: Annotated[str, Path(pattern=NAME_PATTERN)], feed: FeedDep, _: WallboardReader
) -> QueueStatsOut:
    """Callers waiting and agents by state now, today's offered/answered/abandoned calls, ASA and
    service level against the queue's target. 404 for a queue the live ACD does not route (yet)."""
    for queue in (await _board(feed)).out.queues:
        if queue.name == name:
            return queue
    raise NotFound("queue", name)


@router.websocket("/ws/wallboard")
async def wallboard_socket(websocket: WebSocket) -> None:
    """The wallboard as JSON (GET /api/v1/wallboard's body plus `at`): at once, then each second
    while anything changed and at least every 10 s. The API key comes as `?key=` (browsers cannot
    set headers on a WebSocket) or `Authorization: Bearer`. Closes with 4401 without a valid key,
    4403 for a role that may not read, 1013 while there is no live ACD."""
    context: AppContext = websocket.app.state.context
    key = await socket_key(websocket, context)
    await websocket.accept()  # closing after accepting: a browser sees the close code
    if key is None:
        await websocket.close(UNAUTHENTICATED, "send a valid API key as ?key= or Authorization: Bearer")
        return
    if key.role not in READERS:
        await websocket.close(FORBIDDEN, f"the {key.role.value} role may not read the wallboard")
        return
    feed: WallboardFeed = websocket.app.state.wallboard
    async with asyncio.TaskGroup() as group:
        pushing = group.create_task(_push(websocket, feed), name="wallboard push")
        await until_closed(websocket)
        pushing.cancel()


async def _push(websocket: WebSocket, feed: WallboardFeed) -> None:
    sent_version, sent_at = -1, 0.0
    try:
        while True:
            board = await feed.board()
            now = time.monotonic()
            if board.version != sent_version or now - sent_at >= HEARTBEAT_S:
                await websocket.send_text(board.frame)
                sent_version, sent_at = board.version, now
            await asyncio.sleep(PUSH_EVERY_S)
    except WebSocketDisconnect:
        pass  # the reader sees the disconnect too
    except AcdUnavailable:
        await websocket.close(TRY_AGAIN_LATER, "the live ACD is not running or has not loaded yet")
    except Exception:
        log.exception("wallboard push failed")
        await websocket.close(SERVER_ERROR, "the wallboard could not be built")
