"""The ACD's configuration and live state in the database, as the routing core's model.

Times in the routing core are float seconds on one clock: here, POSIX seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.crm import agents as crm_agents
from ccserver.crm import queues as crm_queues
from ccserver.crm.acd_model import QueueConfig
from ccserver.routing.model import Agent, AgentStatus, EscalationStep, Queue, Snapshot, WaitingCall


def routing_queue(name: str, config: QueueConfig) -> Queue:
    return Queue(
        name=name, skills=dict(config.required_skills), priority=config.priority,
        sl_target_pct=float(config.sl_target_pct), sl_threshold_s=float(config.sl_threshold_s),
        max_wait_s=None if config.max_wait_s is None else float(config.max_wait_s),
        wrapup_s=float(config.wrapup_s), strategy=config.strategy, overflow_queue=config.overflow_queue,
        escalation=tuple(
            EscalationStep(
                after_s=float(step.after_s), action=step.action, skill=getattr(step, "skill", None),
                min_level=getattr(step, "min_level", None), skills=getattr(step, "skills", None),
                queue=getattr(step, "queue", None),
            )
            for step in config.escalation
        ),
        announce_every_s=None if config.announce_every_s is None else float(config.announce_every_s),
        announce_position=config.announce_position, announce_wait=config.announce_wait,
    )


def routing_agent(agent: crm_agents.Agent) -> tuple[Agent, AgentStatus]:
    """The agent and its recorded state. Calls in hand are the live ACD's business: a recorded
    `reserved`/`on_call` agent counts as busy with no call the snapshot knows."""
    since = agent.state.since.timestamp()
    logged_in = agent.state.state != "logged_out"
    status = AgentStatus(
        agent_id=str(agent.id), state=agent.state.state, since=since, reason=agent.state.reason or "",
        idle_since=since, logged_in_at=since if logged_in else None,
    )
    routed = Agent(
        id=str(agent.id), extension=agent.extension, name=agent.name, skills=dict(agent.skills),
        max_concurrent=agent.max_concurrent,
    )
    return routed, status


async def configured_snapshot(
    *, session: AsyncSession, queues: Sequence[Queue] | None = None, waiting: Sequence[WaitingCall] = (),
) -> Snapshot:
    """Queues (the given ones replacing configured ones of the same name), active agents in their recorded
    states, and the given waiting calls."""
    by_name = {q.name: routing_queue(q.name, q.config) for q in await crm_queues.list_queues(session=session)}
    for queue in queues or ():
        by_name[queue.name] = queue
    agents, statuses = [], []
    for agent in await _all_agents(session):
        if agent.active:
            routed, status = routing_agent(agent)
            agents.append(routed)
            statuses.append(status)
    return Snapshot(
        queues=tuple(by_name.values()), agents=tuple(agents), statuses=tuple(statuses), waiting=tuple(waiting)
    )


async def _all_agents(session: AsyncSession) -> list[crm_agents.Agent]:
    found: list[crm_agents.Agent] = []
    cursor = None
    while True:
        page = await crm_agents.list_agents(session=session, limit=500, cursor=cursor)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor
