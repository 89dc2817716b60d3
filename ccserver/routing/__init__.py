"""Skills-based routing for the ACD: a pure core (state in, decisions out, clock passed in).

    model.py         agents, statuses, queues, escalation steps, waiting calls, snapshots
    agent_states.py  the agent state machine: transition(status, event, now)
    requirements.py  what a call needs after the escalation steps in force
    strategies.py    call order and the agent strategies (longest idle, least occupied, most skilled)
    engine.py        RoutingEngine (events -> Outcome) and simulate(snapshot, now)
    state.py, indexes.py, matching.py, escalation.py   the engine's insides
    brute_force.py   the same rule with no index: the tests' reference and the bench's baseline
    waiting.py       estimated wait and service level; validate.py: queue configuration checks
"""

from ccserver.routing.agent_states import (
    AgentEvent,
    EndWrapupEarly,
    ExtendWrapup,
    IllegalTransition,
    Login,
    Logout,
    NotReady,
    Ready,
    Transition,
    transition,
)
from ccserver.routing.decisions import (
    Action,
    Announce,
    CallLeft,
    Candidate,
    Decision,
    Escalated,
    Exclusion,
    OfferCall,
    OfferCallback,
    Outcome,
    Overflowed,
    Requeued,
    SendToVoicemail,
)
from ccserver.routing.engine import RoutingEngine, simulate
from ccserver.routing.model import (
    Agent,
    AgentState,
    AgentStatus,
    Assignment,
    EscalationStep,
    Queue,
    Snapshot,
    WaitingCall,
    language_skill,
)
from ccserver.routing.validate import validate_queues

__all__ = [
    "Action", "Agent", "AgentEvent", "AgentState", "AgentStatus", "Announce", "Assignment", "CallLeft", "Candidate",
    "Decision", "EndWrapupEarly", "Escalated", "EscalationStep", "Exclusion", "ExtendWrapup", "IllegalTransition",
    "Login", "Logout", "NotReady", "OfferCall", "OfferCallback", "Outcome", "Overflowed", "Queue", "Ready", "Requeued",
    "RoutingEngine", "SendToVoicemail", "Snapshot", "Transition", "WaitingCall", "language_skill", "simulate",
    "transition", "validate_queues",
]
