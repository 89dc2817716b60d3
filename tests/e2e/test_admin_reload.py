"""An admin reloads a switch's configuration over REST while a call is up: the call carries on."""

from __future__ import annotations

import httpx
import pytest

from ccserver.api.app import create_app
from ccserver.backbone import Backbone
from ccserver.bench.harness import wait_until
from tests.e2e.switch import live_legs, place_inbound_call, wait_call_row_ended

pytestmark = pytest.mark.sandbox


async def test_reload_over_rest_does_not_drop_the_call_in_progress(
    backbone: Backbone, db_engine, api_key_factory, asyncpg_dsn: str
) -> None:
    app = create_app(settings=backbone.settings, engine=db_engine, switches=backbone.gateway())
    tracker = backbone.switches["sandbox"].ingest.tracker
    linkedid = await place_inbound_call(backbone.switches["sandbox"].link, did="20106", caller_stays=20)
    await wait_until(
        lambda: any(g.bridge_id for g in live_legs(tracker, linkedid) if g.role == "dialed"),
        timeout=15, what="call bridged",
    )
    admin = {"Authorization": f"Bearer {await api_key_factory('admin')}"}
    integrator = {"Authorization": f"Bearer {await api_key_factory('integrator')}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        denied = await client.post("/api/v1/admin/switches/sandbox/reload", headers=integrator)
        unknown = await client.post("/api/v1/admin/switches/nope/reload", headers=admin)
        reloaded = await client.post("/api/v1/admin/switches/sandbox/reload", headers=admin)
    assert denied.status_code == 403 and unknown.status_code == 404
    assert reloaded.status_code == 200, reloaded.text
    assert reloaded.json()["switch_id"] == "sandbox"

    call = await wait_call_row_ended(asyncpg_dsn, linkedid, timeout=30)
    assert call["outcome"] == "answered" and call["hangup_cause"] == 16
    assert 5.4 <= (call["ended_at"] - call["answered_at"]).total_seconds() <= 6.6  # talked its full 6 s
