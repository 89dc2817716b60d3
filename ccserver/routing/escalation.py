"""What time does to a waiting call: its queue's escalation steps in order, max wait, announcements.

Steps count from the time the call entered its current queue (`WaitingCall.entered_at`); an overflow
moves it to another queue, whose steps then count from the move. A callback request (`callback=True`)
is not offered a callback again, not sent to voicemail, has no max wait and hears no announcements.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import replace

from ccserver.routing.decisions import Announce, Escalated, OfferCallback, Outcome, Overflowed, SendToVoicemail
from ccserver.routing.requirements import describe_step
from ccserver.routing.state import CallRecord, RoutingState


def run_due(state: RoutingState, record: CallRecord, now: float, out: Outcome, dirty: MutableMapping[str, str]) -> None:
    """Apply everything due for `record` at `now`, in time order. A call whose requirements changed goes
    into `dirty` (trigger "escalation") for the matcher; with the same requirements no free agent can
    take it now either (the engine's invariant), so no look is needed."""
    changed, needs = False, record.needs
    while True:
        call = record.call
        queue = state.queues[call.queue]
        # Absolute times, computed as `RoutingState.schedule` computes them (never `now - entered_at`,
        # which rounds differently and could leave a timer due forever).
        steps = queue.escalation
        step_at = call.entered_at + steps[call.step].after_s if call.step < len(steps) else math.inf
        limit = math.inf if queue.max_wait_s is None or call.callback else call.entered_at + queue.max_wait_s
        if min(step_at, limit) > now:
            break
        changed = True
        if step_at <= limit:
            step = queue.escalation[call.step]
            record.call = call = replace(call, step=call.step + 1)
            reason = describe_step(step, call.step)
            out.actions.append(Escalated(call.call_id, queue.name, call.step, reason))
            if step.action == "offer_callback" and not call.callback:
                out.actions.append(OfferCallback(call.call_id, queue.name))
            if step.action == "voicemail" and not call.callback:
                state.dequeue(call.call_id)
                out.actions.append(SendToVoicemail(call.call_id, queue.name, reason))
                return
            target = (step.queue or queue.overflow_queue) if step.action == "overflow" else None
        else:
            reason = f"max wait {queue.max_wait_s:g} s"
            target = queue.overflow_queue
            if target is None:
                state.dequeue(call.call_id)
                out.actions.append(SendToVoicemail(call.call_id, queue.name, reason))
                return
        if target is not None:
            out.actions.append(Overflowed(call.call_id, queue.name, target, reason))
            state.move(record, target, now)
    _announce(state, record, now, out)
    if changed:
        state.refresh(record)
        if record.needs != needs:
            dirty[record.call.call_id] = "escalation"
    else:
        state.schedule(record)


def _announce(state: RoutingState, record: CallRecord, now: float, out: Outcome) -> None:
    due = record.next_announce
    if due is None or due > now:
        return
    queue = state.queues[record.call.queue]
    every = queue.announce_every_s or 0.0
    if every:
        due += (math.floor((now - due) / every) + 1) * every
        while due <= now:  # the division may round down
            due += every
    record.next_announce = due if every else None
    position = state.position(record.call.call_id)
    wait = state.estimated_wait(record.call.call_id, position) if queue.announce_wait else None
    out.actions.append(Announce(record.call.call_id, queue.name, position if queue.announce_position else None, wait))
