"""The engine's state and the primitives that keep its indexes true: agents and statuses, waiting calls,
calls handed to agents, and the timers (wrap-up ends, escalation steps, max wait, announcements).

Every change of an agent's status goes through `apply`/`set_status` and every waiting call through
`enqueue`/`refresh`/`dequeue`, so the free-agent index, the waiting-call buckets and the counts by
availability never disagree with the statuses and calls themselves.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from ccserver.routing.agent_states import AgentEvent, transition
from ccserver.routing.decisions import Outcome
from ccserver.routing.indexes import FreeAgents, WaitingCalls
from ccserver.routing.model import Agent, AgentStatus, Assignment, Queue, Snapshot, WaitingCall
from ccserver.routing.requirements import Requirements, requirements
from ccserver.routing.strategies import CallKey, call_key
from ccserver.routing.validate import validate_queues
from ccserver.routing.waiting import estimated_wait_s

FREE = "free"
_HANDLE_TIMES_KEPT = 100


@dataclass(slots=True)
class CallRecord:
    call: WaitingCall
    needs: Requirements
    key: CallKey
    next_announce: float | None = None
    version: int = 0  # the live timer entry


def is_free(agent: Agent, status: AgentStatus) -> bool:
    """Can take one more call now: logged in, ready or in a call with room for another, nothing pending."""
    if status.pending is not None:
        return False
    return status.state == "ready" or (status.state in ("reserved", "on_call")
                                       and status.active_calls < agent.max_concurrent)


def availability(agent: Agent, status: AgentStatus) -> str:
    """The label agents are counted under when a decision lists who was left out."""
    if is_free(agent, status):
        return FREE
    if status.state == "logged_out":
        return "logged out"
    if status.pending:
        return f"{status.pending.replace('_', ' ')} after call"
    if status.state == "not_ready":
        return f"not ready: {status.reason}"
    if status.state == "wrap_up":
        return "wrap-up"
    return f"busy: {status.active_calls}/{agent.max_concurrent} calls"


class RoutingState:
    def __init__(self, queues: Iterable[Queue], agents: Iterable[Agent] = ()) -> None:
        self.queues: dict[str, Queue] = {}
        self.set_queues(queues)
        self.agents: dict[str, Agent] = {}
        self.statuses: dict[str, AgentStatus] = {}
        self.free = FreeAgents()
        self.skill_counts: Counter[str] = Counter()  # skill -> agents having it, whatever their state
        self.labels: Counter[str] = Counter()
        self._label: dict[str, str] = {}
        self.waiting: dict[str, CallRecord] = {}
        self.index = WaitingCalls(rarity=lambda skill: self.skill_counts[skill])
        self.by_queue: dict[str, list[CallKey]] = {}  # each queue's waiting calls, in call order
        self.assigned: dict[str, Assignment] = {}
        self.handle_times: dict[str, deque[float]] = {}
        self._wrapups: list[tuple[float, str]] = []
        self._timers: list[tuple[float, int, str]] = []
        self._version = 0
        # Logged-in agents as bits (one per agent), and per (skill, level) those at that level or better:
        # how many can serve a call is a few ANDs and a popcount, whatever the number of agents.
        self._bit: dict[str, int] = {}
        self._logged_in = 0
        self._at_least: dict[tuple[str, int], int] = {}
        for agent in agents:
            self.put_agent(agent)

    def set_queues(self, queues: Iterable[Queue]) -> None:
        queues = list(queues)
        problems = validate_queues(queues)
        if problems:
            raise ValueError("; ".join(problems))
        self.queues = {q.name: q for q in queues}

    # --- agents ---

    def put_agent(self, agent: Agent) -> bool:
        """Add or redefine an agent; True when it is free (its skills may now fit waiting calls)."""
        old = self.agents.get(agent.id)
        status = self.statuses.get(agent.id, AgentStatus(agent.id))
        logged_in = status.state != "logged_out"
        if old is not None:
            self.free.remove(agent.id, old.skills)
            self.skill_counts.subtract(old.skills.keys())
            if logged_in:
                self._mark(old, False)
        else:
            self._bit[agent.id] = 1 << len(self._bit)
        self.agents[agent.id] = agent
        self.skill_counts.update(agent.skills.keys())
        if logged_in:
            self._mark(agent, True)
        self.set_status(status)
        return self._label[agent.id] == FREE

    def _mark(self, agent: Agent, logged_in: bool) -> None:
        bit = self._bit[agent.id]
        masks = self._at_least
        self._logged_in = self._logged_in | bit if logged_in else self._logged_in & ~bit
        for skill, level in agent.skills.items():
            for at_least in range(1, level + 1):
                key = (skill, at_least)
                masks[key] = masks.get(key, 0) | bit if logged_in else masks.get(key, 0) & ~bit

    def apply(self, agent_id: str, event: AgentEvent, now: float, out: Outcome) -> bool:
        """Run the agent state machine; True when the agent has just become free."""
        new, record = transition(self.statuses[agent_id], event, now)
        if record is not None:
            out.transitions.append(record)
        return self.set_status(new)

    def set_status(self, status: AgentStatus) -> bool:
        agent = self.agents[status.agent_id]
        old = self.statuses.get(agent.id)
        self.statuses[agent.id] = status
        if old is not None and (old.state == "logged_out") != (status.state == "logged_out"):
            self._mark(agent, status.state != "logged_out")
        label = availability(agent, status)
        previous = self._label.get(agent.id)
        if previous is not None:
            self.labels[previous] -= 1
        self.labels[label] += 1
        self._label[agent.id] = label
        if status.state == "wrap_up" and status.wrapup_until is not None and (
                old is None or old.wrapup_until != status.wrapup_until):
            heapq.heappush(self._wrapups, (status.wrapup_until, agent.id))
        if label == FREE:
            self.free.add(agent.id, agent.skills)
            return previous != FREE
        self.free.remove(agent.id, agent.skills)
        return False

    # --- waiting calls ---

    def enqueue(self, call: WaitingCall, now: float) -> CallRecord:
        record = CallRecord(call, (), (0, 0.0, ""))
        self.waiting[call.call_id] = record
        self._join_queue(record, now)
        return record

    def refresh(self, record: CallRecord) -> None:
        """After the call's step or callback flag (or its queue's definition) changed: its requirements,
        place and timers again."""
        queue = self.queues[record.call.queue]
        record.needs = requirements(queue, record.call)
        key = call_key(record.call, queue)
        if key != record.key:
            members = self.by_queue[record.call.queue]
            del members[bisect.bisect_left(members, record.key)]
            bisect.insort(members, key)
            record.key = key
        self.index.add(record.call.call_id, record.needs, record.key)
        self.schedule(record)

    def move(self, record: CallRecord, queue: str, now: float) -> None:
        """Overflow: into `queue`, where its escalation starts over; the call keeps its place (enqueued_at)."""
        self._leave_queue(record)
        record.call = replace(record.call, queue=queue, queue_entered_at=now, step=0)
        self._join_queue(record, now)

    def dequeue(self, call_id: str) -> CallRecord:
        record = self.waiting.pop(call_id)
        self.index.remove(call_id)
        self._leave_queue(record)
        return record

    def _join_queue(self, record: CallRecord, now: float) -> None:
        record.key = call_key(record.call, self.queues[record.call.queue])
        bisect.insort(self.by_queue.setdefault(record.call.queue, []), record.key)
        record.next_announce = self._first_announce(record, self.queues[record.call.queue], now)
        self.refresh(record)

    def _leave_queue(self, record: CallRecord) -> None:
        members = self.by_queue[record.call.queue]
        del members[bisect.bisect_left(members, record.key)]
        if not members:
            del self.by_queue[record.call.queue]

    def _first_announce(self, record: CallRecord, queue: Queue, now: float) -> float | None:
        every = queue.announce_every_s
        if every is None or record.call.callback or not (queue.announce_position or queue.announce_wait):
            return None
        due = record.call.entered_at + every
        if due < now:  # a call re-queued (or loaded) later on: the next one from now
            due += math.ceil((now - due) / every) * every
        return due

    # --- timers ---

    def schedule(self, record: CallRecord) -> None:
        queue = self.queues[record.call.queue]
        call = record.call
        times = [record.next_announce] if record.next_announce is not None else []
        if call.step < len(queue.escalation):
            times.append(call.entered_at + queue.escalation[call.step].after_s)
        if queue.max_wait_s is not None and not call.callback:
            times.append(call.entered_at + queue.max_wait_s)
        self._version += 1
        record.version = self._version
        if times:
            heapq.heappush(self._timers, (min(times), self._version, call.call_id))

    def due_wrapups(self, now: float) -> list[str]:
        """Agents whose wrap-up is over by `now` (each once: an old entry may carry the same end time)."""
        due: dict[str, None] = {}
        while self._wrapups and self._wrapups[0][0] <= now:
            entry = heapq.heappop(self._wrapups)
            if not self._stale_wrapup(entry):
                due[entry[1]] = None
        return list(due)

    def due_calls(self, now: float) -> Iterator[CallRecord]:
        while self._timers and self._timers[0][0] <= now:
            _, version, call_id = heapq.heappop(self._timers)
            record = self.waiting.get(call_id)
            if record is not None and record.version == version:
                yield record

    def next_due(self) -> float | None:
        """When `tick` next has something to do (None: nothing scheduled)."""
        while self._timers and self._stale_timer(self._timers[0]):
            heapq.heappop(self._timers)
        while self._wrapups and self._stale_wrapup(self._wrapups[0]):
            heapq.heappop(self._wrapups)
        times = [heap[0][0] for heap in (self._timers, self._wrapups) if heap]
        return min(times) if times else None

    def _stale_timer(self, entry: tuple[float, int, str]) -> bool:
        record = self.waiting.get(entry[2])
        return record is None or record.version != entry[1]

    def _stale_wrapup(self, entry: tuple[float, str]) -> bool:
        status = self.statuses.get(entry[1])
        return status is None or status.state != "wrap_up" or status.wrapup_until != entry[0]

    # --- read side ---

    def position(self, call_id: str) -> int:
        """1 + the calls of the same queue served before it."""
        record = self.waiting[call_id]
        return 1 + bisect.bisect_left(self.by_queue[record.call.queue], record.key)

    def serving(self, needs: Requirements) -> int:
        """Logged-in agents who qualify for `needs`, whatever they are doing."""
        qualified = 0
        for group in needs:
            agents = self._logged_in
            for key in group:
                agents &= self._at_least.get(key, 0)
            qualified |= agents
        return qualified.bit_count()

    def estimated_wait(self, call_id: str, position: int | None = None) -> float | None:
        record = self.waiting[call_id]
        times = self.handle_times.get(record.call.queue, ())
        return estimated_wait_s(position or self.position(call_id), list(times), self.serving(record.needs))

    def note_handled(self, queue: str, seconds: float) -> None:
        self.handle_times.setdefault(queue, deque(maxlen=_HANDLE_TIMES_KEPT)).append(seconds)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            queues=tuple(self.queues.values()), agents=tuple(self.agents.values()),
            statuses=tuple(self.statuses.values()),
            waiting=tuple(r.call for r in sorted(self.waiting.values(), key=lambda r: r.key)),
            assignments=tuple(self.assigned.values()),
        )
