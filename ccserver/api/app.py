"""`create_app`: the HTTP API, built from what the composition root hands it. No globals."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

import ccserver
from ccserver.api.deps import AppContext, LiveAcdDesk
from ccserver.api.metrics import HttpMetrics, MetricsMiddleware
from ccserver.api.problems import install_problem_handlers
from ccserver.api.readiness import DatabaseReadiness, Readiness
from ccserver.api.routes import (
    acd,
    admin,
    agent_sessions,
    agent_states,
    agents,
    calls,
    cases,
    customers,
    desktop,
    dispositions,
    health,
    queues,
    reports,
    routing,
    supervision,
    wallboard,
)
from ccserver.api.wallboard_feed import WallboardFeed
from ccserver.asterisk.gateway import SwitchGateway
from ccserver.asterisk.pjsip_agents import AgentProvisioner
from ccserver.crm.database import session_factory
from ccserver.desktop.feed import AgentFeed
from ccserver.settings import Settings
from ccserver.web import WebAssets
from ccserver.web import router as pages


def create_app(
    *,
    settings: Settings,
    engine: AsyncEngine,
    readiness: Readiness | None = None,
    metrics_registry: CollectorRegistry | None = None,
    switches: SwitchGateway | None = None,
    provisioner: AgentProvisioner | None = None,
    live_acd: LiveAcdDesk | None = None,
    agent_feed: AgentFeed | None = None,
) -> FastAPI:
    """The FastAPI app. `readiness` defaults to a database-only check; `metrics_registry` (served at
    /metrics, and where the HTTP metrics are registered) defaults to a fresh registry. `provisioner`
    writes agents' PJSIP endpoints when agents change; without one, agent changes say it was skipped.
    `live_acd` is the running ACD: agents' state changes go through it, it hears of configuration writes,
    and the wallboard shows it."""
    registry = metrics_registry if metrics_registry is not None else CollectorRegistry()
    app = FastAPI(
        title="ccserver",
        version=ccserver.__version__,
        description="Contact-center server around a real Asterisk. Authenticate with `Bearer <API key>`.",
    )
    app.state.context = AppContext(
        settings=settings,
        sessions=session_factory(engine),
        readiness=readiness if readiness is not None else DatabaseReadiness(engine),
        metrics_registry=registry,
        switches=switches,
        provisioner=provisioner,
        acd=live_acd,
        agent_feed=agent_feed,
    )
    app.state.wallboard = WallboardFeed(acd=live_acd, sessions=app.state.context.sessions)
    install_problem_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=HttpMetrics(registry))
    # wallboard before queues: its /api/v1/queues/{name}/stats is its own, whatever queues adds later
    routers = (health, customers, calls, admin, agents, agent_states, wallboard, queues, acd, routing, cases,
               dispositions, desktop, reports, supervision)
    for module in routers:
        app.include_router(module.router)
    # The agent desktop's sign-in, and the browser pages: /agent, /wallboard, their scripts and style in /static/.
    app.include_router(agent_sessions.router)
    app.include_router(pages)
    app.mount("/static", WebAssets(), name="static")
    return app
