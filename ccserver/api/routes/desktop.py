"""`/ws/agents/{agent_id}`: the agent desktop's live stream (ccserver/desktop/feed.py).

Every message is numbered (`seq`) within an `epoch`. A page that reconnects with `?epoch=E&after=N`
gets every message after N it missed; one that comes back to another epoch (ccserver restarted) or fell
too far behind gets a `snapshot` (the agent's state and the call in hand) and goes on from there.
With nothing to say, a `heartbeat` every 15 s keeps proxies from closing the socket.

The agent's own key (or a session's), or an admin's or supervisor's, may listen.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import APIRouter, WebSocket

from ccserver.api.deps import AppContext
from ccserver.api.socket_auth import FORBIDDEN, TRY_AGAIN_LATER, UNAUTHENTICATED, socket_key, until_closed
from ccserver.crm.agents import agent_for_api_key
from ccserver.crm.apikeys import ApiKey, Role
from ccserver.desktop.feed import AgentFeed, DeskMessage

HEARTBEAT_S = 15.0

router = APIRouter(tags=["agent desktop"])


@router.websocket("/ws/agents/{agent_id}")
async def agent_socket(websocket: WebSocket, agent_id: UUID) -> None:
    context: AppContext = websocket.app.state.context
    key = await socket_key(websocket, context)
    await websocket.accept()
    if key is None:
        await websocket.close(UNAUTHENTICATED, "send a valid API key as ?key= or Authorization: Bearer")
        return
    if not await _may_listen(context, key, agent_id):
        await websocket.close(FORBIDDEN, "an agent key listens to its own agent only")
        return
    feed = context.agent_feed
    if feed is None:
        await websocket.close(TRY_AGAIN_LATER, "this ccserver runs no agent desktop stream")
        return
    async with asyncio.TaskGroup() as group:
        pushing = group.create_task(_push(websocket, context, feed, str(agent_id)), name="desktop push")
        await until_closed(websocket)
        pushing.cancel()


async def _may_listen(context: AppContext, key: ApiKey, agent_id: UUID) -> bool:
    if key.role in (Role.ADMIN, Role.SUPERVISOR):
        return True
    if key.role is not Role.AGENT:
        return False
    async with context.sessions() as session:
        return await agent_for_api_key(session=session, api_key_id=key.id) == agent_id


async def _push(websocket: WebSocket, context: AppContext, feed: AgentFeed, agent_id: str) -> None:
    epoch, after = websocket.query_params.get("epoch"), websocket.query_params.get("after", "")
    missed = feed.since(agent_id, int(after)) if epoch == feed.epoch and after.isdigit() else None
    if missed is None:
        after_seq = await _send_snapshot(websocket, context, feed, agent_id)
    else:
        after_seq = await _send(websocket, feed, missed, int(after))
    while True:
        await feed.wait(agent_id, after_seq, HEARTBEAT_S)
        news = feed.since(agent_id, after_seq)
        if news is None:  # fell behind what the feed keeps
            after_seq = await _send_snapshot(websocket, context, feed, agent_id)
        elif news:
            after_seq = await _send(websocket, feed, news, after_seq)
        else:
            await websocket.send_text(f'{{"epoch":"{feed.epoch}","seq":{after_seq},"kind":"heartbeat"}}')


async def _send(websocket: WebSocket, feed: AgentFeed, messages: list[DeskMessage], after: int) -> int:
    for message in messages:
        await websocket.send_text(message.frame(feed.epoch))
        after = message.seq
    return after


async def _send_snapshot(websocket: WebSocket, context: AppContext, feed: AgentFeed, agent_id: str) -> int:
    snapshot = feed.snapshot(agent_id)
    now = context.acd.agent_now(agent_id) if context.acd is not None and context.acd.loaded else None
    if now is not None:  # the ACD's word on the state, also for an agent that has not changed since start
        snapshot.data["state"] = now
    await websocket.send_text(snapshot.frame(feed.epoch))
    return snapshot.seq
