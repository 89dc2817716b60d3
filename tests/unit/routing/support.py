"""A small contact center around the routing engine: agents, queues and calls written tersely, and a
clock that the tests move by hand."""

from __future__ import annotations

from collections.abc import Iterable

from ccserver.routing import Agent, AgentStatus, Login, Outcome, Queue, Ready, RoutingEngine, WaitingCall
from ccserver.routing.agent_states import AgentEvent
from ccserver.routing.matching import Matcher, match


def agent(agent_id: str, max_concurrent: int = 1, **skills: int) -> Agent:
    return Agent(agent_id, extension=f"ext-{agent_id}", name=agent_id.title(), skills=skills,
                 max_concurrent=max_concurrent)


def speaks(agent_id: str, *languages: str, **skills: int) -> Agent:
    """An agent with language skills (`lang:es` at level 8) and others."""
    return agent(agent_id, **skills, **{f"lang:{language}": 8 for language in languages})


class Center:
    """The engine, a clock, and every outcome it returned."""

    def __init__(self, queues: Iterable[Queue], agents: Iterable[Agent] = (), *, now: float = 0.0,
                 matcher: Matcher = match) -> None:
        self.engine = RoutingEngine(queues=queues, agents=agents, matcher=matcher)
        self.now = now
        self.outcomes: list[Outcome] = []

    def keep(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome

    def at(self, now: float) -> Outcome:
        """The clock moves to `now` and the engine ticks."""
        self.now = now
        return self.keep(self.engine.tick(now))

    def login(self, *agent_ids: str, ready: bool = True) -> None:
        for agent_id in agent_ids:
            self.keep(self.engine.agent_changed(agent_id, Login(ready=ready), self.now))

    def agent_does(self, agent_id: str, event: AgentEvent) -> Outcome:
        return self.keep(self.engine.agent_changed(agent_id, event, self.now))

    def ready(self, agent_id: str) -> Outcome:
        return self.agent_does(agent_id, Ready())

    def arrive(self, call_id: str, queue: str, **fields: object) -> Outcome:
        call = WaitingCall(call_id, queue, enqueued_at=self.now, **fields)  # type: ignore[arg-type]
        return self.keep(self.engine.call_arrived(call, self.now))

    def answer(self, call_id: str) -> Outcome:
        return self.keep(self.engine.offer_answered(call_id, self.now))

    def end(self, call_id: str) -> Outcome:
        return self.keep(self.engine.call_ended(call_id, self.now))

    def status(self, agent_id: str) -> AgentStatus:
        return self.engine.status(agent_id)

    def offers(self) -> list[tuple[str, str]]:
        """(call, agent) for every offer made so far, in order."""
        return [(o.call_id, o.agent_id) for outcome in self.outcomes for o in outcome.offers]

    def agent_of(self, call_id: str) -> str | None:
        assignment = self.engine.assignment(call_id)
        return assignment.agent_id if assignment else None
