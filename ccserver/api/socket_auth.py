"""WebSocket authentication: browsers cannot set headers on a WebSocket, so the API key comes as `?key=`
or, from other clients, as `Authorization: Bearer`. Sockets accept first and then close with these codes,
so that a browser sees why."""

from __future__ import annotations

from fastapi import WebSocket

from ccserver.api.deps import AppContext
from ccserver.crm.apikeys import ApiKey, authenticate

UNAUTHENTICATED, FORBIDDEN, TRY_AGAIN_LATER, SERVER_ERROR = 4401, 4403, 1013, 1011


async def socket_key(websocket: WebSocket, context: AppContext) -> ApiKey | None:
    secret = websocket.query_params.get("key")
    if secret is None:
        scheme, _, credentials = websocket.headers.get("authorization", "").partition(" ")
        secret = credentials.strip() if scheme.lower() == "bearer" else None
    if not secret:
        return None
    async with context.sessions() as session:
        return await authenticate(session=session, key=secret)


async def until_closed(websocket: WebSocket) -> None:
    """Until the client goes (messages from it are not used)."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass
