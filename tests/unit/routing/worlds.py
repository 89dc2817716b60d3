"""Hypothesis strategies for the routing properties: small contact centers (a few skills, so calls and
agents often match and often do not), random queue configurations with escalation, and snapshots."""

from __future__ import annotations

from hypothesis import strategies as st

from ccserver.routing import Agent, AgentStatus, EscalationStep, Queue, Snapshot, WaitingCall, validate_queues

SKILLS = ("billing", "tech", "sales", "general")
LANGUAGES = ("en", "es")
QUEUES = ("q0", "q1", "q2")  # overflow only goes to a later queue: never a cycle
levels = st.integers(1, 10)
skill_maps = st.dictionaries(st.sampled_from(SKILLS), levels, max_size=2)


@st.composite
def queues(draw: st.DrawFn) -> tuple[Queue, ...]:
    made = []
    for n, name in enumerate(QUEUES):
        later = list(QUEUES[n + 1:])
        skills = draw(st.dictionaries(st.sampled_from(SKILLS), levels, max_size=1))
        steps: list[EscalationStep] = []
        at = 0.0
        for _ in range(draw(st.integers(0, 4))):
            at += draw(st.sampled_from([0.0, 5.0, 15.0, 30.0]))
            action = draw(st.sampled_from(["relax_skill", "widen", "drop_skill", "offer_callback"]))
            steps.append(EscalationStep(
                at, action, skill=draw(st.sampled_from(SKILLS)), min_level=draw(levels),
                skills=draw(st.dictionaries(st.sampled_from(SKILLS), levels, min_size=1, max_size=2)),
            ))
        ending = draw(st.sampled_from(["none", "voicemail"] + (["overflow"] if later else [])))
        if ending != "none":
            at += draw(st.sampled_from([5.0, 20.0, 60.0]))
            target = draw(st.sampled_from(later)) if ending == "overflow" else None
            steps.append(EscalationStep(at, ending, queue=target))
        made.append(Queue(
            name, skills=skills, priority=draw(st.integers(0, 3)), wrapup_s=draw(st.sampled_from([0.0, 5.0, 20.0])),
            strategy=draw(st.sampled_from(["longest_idle", "least_occupied", "most_skilled"])),
            max_wait_s=draw(st.sampled_from([None, 50.0, 120.0])),
            overflow_queue=draw(st.sampled_from([None, *later])),
            escalation=tuple(steps), announce_every_s=draw(st.sampled_from([None, 10.0])),
        ))
    assert validate_queues(made) == [], validate_queues(made)
    return tuple(made)


@st.composite
def agents(draw: st.DrawFn, count: int) -> tuple[Agent, ...]:
    return tuple(draw(agent_named(f"a{n}")) for n in range(count))


@st.composite
def agent_named(draw: st.DrawFn, agent_id: str) -> Agent:
    skills = draw(st.dictionaries(st.sampled_from(SKILLS + tuple(f"lang:{x}" for x in LANGUAGES)), levels,
                                  min_size=2, max_size=6))
    return Agent(agent_id, f"ext-{agent_id}", agent_id, skills, max_concurrent=draw(st.sampled_from([1, 1, 2])))


@st.composite
def waiting_call(draw: st.DrawFn, call_id: str, now: float, queue: str | None = None) -> WaitingCall:
    enqueued = now - draw(st.sampled_from([0.0, 0.0, 0.3, 3.7, 40.1]))
    return WaitingCall(
        call_id, queue or draw(st.sampled_from(QUEUES)), enqueued_at=enqueued,
        priority=draw(st.sampled_from([0, 0, 10])),
        skills=draw(st.sampled_from([{}, {}, draw(skill_maps)])),
        language=draw(st.sampled_from([None, None, *LANGUAGES])),
        callback=draw(st.booleans()) if draw(st.integers(0, 4)) == 0 else False,
    )


@st.composite
def snapshots(draw: st.DrawFn) -> tuple[Snapshot, float]:
    """Many free agents and many waiting calls at once (as `simulate` may be given), at time 1000."""
    now = 1000.0
    people = draw(agents(draw(st.integers(1, 30))))
    statuses = []
    for a in people:
        state = draw(st.sampled_from(["logged_out", "ready", "ready", "not_ready", "wrap_up"]))
        idle = now - draw(st.sampled_from([0.0, 10.0, 100.0, 500.0]))
        statuses.append(AgentStatus(
            a.id, state=state, since=idle, idle_since=idle, logged_in_at=None if state == "logged_out" else 0.0,
            busy_seconds=draw(st.sampled_from([0.0, 100.0, 400.0])), reason="break" if state == "not_ready" else "",
            wrapup_until=now + 5 if state == "wrap_up" else None,
        ))
    calls = tuple(draw(waiting_call(f"c{n}", now)) for n in range(draw(st.integers(0, 25))))
    return Snapshot(draw(queues()), people, tuple(statuses), calls), now
