"""The browser pages: the agent desktop at /agent, the supervisor wallboard at /wallboard and the KPI
reports at /reports. Plain HTML, JavaScript modules and CSS, served as they are (no build step, nothing
from the internet); the pages load their scripts and style from /static/. They talk to the REST API and
WebSockets like any client."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

WEB_DIR = Path(__file__).parent
ASSET_SUFFIXES = (".js", ".css")
# Revalidate on each load (the ETag makes that cheap): after an upgrade the pages never run stale scripts.
NO_CACHE = {"Cache-Control": "no-cache"}
# The pages hold an API key: they run only their own scripts, talk only to this server, are never framed,
# and never send their address (which may carry `?key=`) as a referrer.
PAGE_HEADERS = {
    **NO_CACHE,
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}

router = APIRouter(include_in_schema=False)


@router.get("/agent")
async def agent_page() -> FileResponse:
    return FileResponse(WEB_DIR / "agent.html", headers=PAGE_HEADERS)


@router.get("/wallboard")
async def wallboard_page() -> FileResponse:
    return FileResponse(WEB_DIR / "wallboard.html", headers=PAGE_HEADERS)


@router.get("/reports")
async def reports_page() -> FileResponse:
    return FileResponse(WEB_DIR / "reports.html", headers=PAGE_HEADERS)


class WebAssets(StaticFiles):
    """The pages' scripts and style sheet; nothing else in this folder (its Python) is served."""

    def __init__(self) -> None:
        super().__init__(directory=WEB_DIR)

    async def get_response(self, path: str, scope: Scope) -> Response:
        if not path.endswith(ASSET_SUFFIXES):
            raise HTTPException(404)
        response = await super().get_response(path, scope)
        response.headers.update(NO_CACHE)
        return response
