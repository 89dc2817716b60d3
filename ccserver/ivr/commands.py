"""What the flow engine asks of the switch, and what the switch answers.

The engine (`ivr/engine.py`) is pure: it returns one `Command` per step and is fed the matching
`Result` back. The runner (`ivr/runner.py`) is the only place that turns commands into AGI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# ---- commands: engine -> runner ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Play:
    """Play prompts (names under ivr_prompts/<language>/) in `language`; answered by `Played`."""

    prompts: tuple[str, ...]
    language: str


@dataclass(frozen=True, slots=True)
class CollectDigits:
    """Play prompts interruptibly, then wait for up to `max_digits` DTMF digits; answered by `Digits`.

    A menu is a CollectDigits with max_digits=1. `terminator` (e.g. "#") ends entry early and is not
    part of the digits. `timeout` is seconds of silence after the prompt before giving up.
    """

    prompts: tuple[str, ...]
    language: str
    max_digits: int
    timeout: float
    terminator: str | None = None


@dataclass(frozen=True, slots=True)
class Say:
    """Dynamic speech with the switch's own sounds (SayDigits / SayNumber); answered by `Played`."""

    kind: Literal["digits", "number"]
    value: str
    language: str


@dataclass(frozen=True, slots=True)
class LookupCustomer:
    """Data dip in the CRM; answered by `LookupResult`."""

    by: Literal["caller_id", "account"]
    value: str


@dataclass(frozen=True, slots=True)
class RecordMessage:
    """Voicemail: play prompts, beep, record up to max_seconds (ends on '#' or silence); answered by
    `Recorded`."""

    prompts: tuple[str, ...]
    language: str
    max_seconds: int


@dataclass(frozen=True, slots=True)
class RoutingAttributes:
    """What the IVR decided for the ACD."""

    queue: str | None = None
    skills: dict[str, int] = field(default_factory=dict)  # skill name -> minimum proficiency (1-10)
    priority: int = 0
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Finish:
    """The flow is over. The runner journals it, tells the dialplan, and ends the AGI session.

    outcome:
      handoff   - give the call to the ACD with `routing` (dialplan continues to the queue path)
      callback  - a callback was requested (the runner records it), then hang up
      voicemail - a message was left (already recorded by RecordMessage), then hang up
      hangup    - hang up (after `prompts`, if any)
      fallback  - the flow could not decide (error, retries exhausted with no fallback): the
                  dialplan's human fallback takes the call
    """

    outcome: Literal["handoff", "callback", "voicemail", "hangup", "fallback"]
    routing: RoutingAttributes = RoutingAttributes()
    prompts: tuple[str, ...] = ()
    language: str = "en"
    reason: str = ""


Command = Play | CollectDigits | Say | LookupCustomer | RecordMessage | Finish


# ---- results: runner -> engine -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Played:
    """Play/Say finished (or was interrupted: `digit` is the key that interrupted it, else "")."""

    digit: str = ""


@dataclass(frozen=True, slots=True)
class Digits:
    """What the caller keyed. timed_out: no terminator and fewer than max_digits before the timeout."""

    value: str
    timed_out: bool = False


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The customer found, as plain fields (id, name, account_number, tier, language, custom_fields),
    or None."""

    customer: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Recorded:
    """Where the message was stored (None when the caller said nothing) and its length in seconds."""

    path: str | None
    seconds: float = 0.0


Result = Played | Digits | LookupResult | Recorded


# ---- what the engine reports for the journal -----------------------------------------------------

@dataclass(frozen=True, slots=True)
class IvrEvent:
    """One step of the caller's path, journaled as call event `ccserver.Ivr<Kind>` (e.g. IvrNodeEntered).

    kind: NodeEntered, FlowEntered, Digits, InvalidInput, NoInput, Lookup, Condition, LanguageSet,
          AttributesSet, ValueCollected, Finished, Error
    """

    kind: str
    flow: str
    node: str
    detail: dict[str, Any] = field(default_factory=dict)
