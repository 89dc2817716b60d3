"""Platform endpoints: liveness, readiness per dependency, Prometheus metrics."""

from __future__ import annotations

import uuid

import httpx
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncEngine

from ccserver.api.app import create_app
from ccserver.crm.database import create_engine
from ccserver.settings import Settings

Headers = dict[str, str]


class FixedReadiness:
    def __init__(self, checks: dict[str, bool]) -> None:
        self.checks = checks

    async def check(self) -> dict[str, bool]:
        return self.checks


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ccserver.test")  # type: ignore[arg-type]


async def test_healthz_is_always_ok(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_checks_the_database_by_default(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/readyz")

    assert (response.status_code, response.json()) == (200, {"database": True})


async def test_readyz_is_503_when_the_database_is_unreachable(test_settings: Settings) -> None:
    dead = create_engine(database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere", pooled=False)
    try:
        async with _client(create_app(settings=test_settings, engine=dead)) as client:
            response = await client.get("/readyz")
    finally:
        await dead.dispose()

    assert (response.status_code, response.json()) == (503, {"database": False})


async def test_readyz_is_503_when_any_ami_link_is_down(
    test_settings: Settings, db_engine: AsyncEngine
) -> None:
    readiness = FixedReadiness({"database": True, "ami:pbx1": True, "ami:pbx2": False})
    async with _client(create_app(settings=test_settings, engine=db_engine, readiness=readiness)) as client:
        down = await client.get("/readyz")
        readiness.checks["ami:pbx2"] = True
        up = await client.get("/readyz")

    assert (down.status_code, down.json()) == (503, {"database": True, "ami:pbx1": True, "ami:pbx2": False})
    assert up.status_code == 200


async def test_metrics_count_requests_by_route_template_in_the_given_registry(
    test_settings: Settings, db_engine: AsyncEngine, admin: Headers
) -> None:
    registry = CollectorRegistry()
    Counter("ccserver_demo_things", "something another part of ccserver counts", registry=registry).inc(3)
    app = create_app(settings=test_settings, engine=db_engine, metrics_registry=registry)
    async with _client(app) as client:
        for _ in range(2):
            await client.get(f"/api/v1/customers/{uuid.uuid4()}", headers=admin)
        await client.get("/api/v1/calls")
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    one_customer = 'method="GET",route="/api/v1/customers/{customer_id}"'
    assert f'ccserver_http_requests_total{{{one_customer},status="404"}} 2.0' in text
    assert f"ccserver_http_request_duration_seconds_count{{{one_customer}}} 2.0" in text
    assert 'ccserver_http_requests_total{method="GET",route="/api/v1/calls",status="401"} 1.0' in text
    assert "ccserver_demo_things_total 3.0" in text


async def test_openapi_documents_the_api(api_client: httpx.AsyncClient) -> None:
    spec = (await api_client.get("/openapi.json")).json()

    assert {"/api/v1/customers", "/api/v1/customers/{customer_id}", "/api/v1/calls/{call_id}/events"} <= set(
        spec["paths"]
    )
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
