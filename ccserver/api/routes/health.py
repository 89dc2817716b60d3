"""Liveness, readiness and Prometheus metrics. No authentication: these are for the platform."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ccserver.api.deps import ContextDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database and every AMI link are up",
    responses={
        503: {
            "description": "Some check failed",
            "content": {"application/json": {"example": {"database": True, "ami:pbx1": False}}},
        }
    },
)
async def readyz(context: ContextDep) -> JSONResponse:
    checks = await context.readiness.check()
    ready = bool(checks) and all(checks.values())
    return JSONResponse(checks, 200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(context: ContextDep) -> Response:
    return Response(generate_latest(context.metrics_registry), media_type=CONTENT_TYPE_LATEST)
