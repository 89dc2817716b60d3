"""The ACD's configuration values, checked the same way whether they come over REST or from `acd.yaml`.

The pydantic models check each value's shape and range; `queue_problems` and `skill_problems` check what
needs the rest of the configuration (known skills and queues, escalation order). Both report paths
relative to the item, so REST turns them into `body...` locations and the file loader into lines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ccserver.crm.errors import FieldError

# The IVR's alphabet for queue and skill names (ccserver/ivr/flow_yaml_nodes.py, QUEUE). Skills may also be
# languages as the routing core names them: `lang:<code>` (ccserver/routing/model.py, `language_skill`).
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
SKILL_PATTERN = r"^(lang:[a-z]{2,3}(_[a-z]{2})?|[A-Za-z0-9_.-]{1,64})$"
EXTENSION_PATTERN = r"^[0-9]{2,15}$"
TERMINAL_ACTIONS = ("overflow", "voicemail")  # the call leaves the queue: nothing can follow


def _plain_text(value: str) -> str:
    """Text PostgreSQL stores and a config file can hold: no control characters, no lone surrogates."""
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("must be printable text (no control characters)")
    return value


Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
SkillName = Annotated[str, StringConstraints(pattern=SKILL_PATTERN)]
Extension = Annotated[str, StringConstraints(pattern=EXTENSION_PATTERN)]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_plain_text)
]
Level = Annotated[int, Field(ge=1, le=10)]
SkillLevels = Annotated[dict[SkillName, Level], Field(max_length=50)]
Seconds = Annotated[int, Field(ge=0, le=86_400)]
SipPassword = Annotated[str, StringConstraints(min_length=8, max_length=128), AfterValidator(_plain_text)]
Strategy = Literal["longest_idle", "least_occupied", "most_skilled"]


# Escalation steps, named as the routing core names them (ccserver/routing/model.py, EscalationStep).
class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    after_s: Seconds = Field(description="Seconds the call has waited in this queue when the step applies.")


class RelaxSkill(_Step):
    """The minimum level of `skill` becomes `min_level` (never raised)."""

    action: Literal["relax_skill"]
    skill: SkillName
    min_level: Level


class DropSkill(_Step):
    """`skill` is no longer required."""

    action: Literal["drop_skill"]
    skill: SkillName


class Widen(_Step):
    """Agents matching this other skill group may take the call too (the caller's language stays required)."""

    action: Literal["widen"]
    skills: Annotated[SkillLevels, Field(min_length=1)]


class Overflow(_Step):
    """The call moves to `queue` (default: the queue's `overflow_queue`), keeping its place."""

    action: Literal["overflow"]
    queue: Name | None = None


class OfferCallback(_Step):
    """The caller is offered a callback (keeping their place)."""

    action: Literal["offer_callback"]


class Voicemail(_Step):
    """The call leaves the queue for voicemail."""

    action: Literal["voicemail"]


EscalationStep = Annotated[
    RelaxSkill | DropSkill | Widen | Overflow | OfferCallback | Voicemail, Field(discriminator="action")
]


SCREENPOP_PLACEHOLDERS = ("caller", "call_id", "queue", "account", "customer_id")


class QueueConfig(BaseModel):
    """Everything about a queue but its name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: Label | None = None
    priority: int = Field(0, ge=0, le=100, description="Added to each call's priority; higher is served first.")
    required_skills: SkillLevels = Field(default_factory=dict, description="skill -> minimum level (1-10)")
    sl_target_pct: int = Field(80, ge=1, le=100, description="Service level target: this % of calls ...")
    sl_threshold_s: int = Field(20, ge=1, le=86_400, description="... answered within this many seconds.")
    max_wait_s: int | None = Field(
        None, ge=1, le=86_400, description="Longest wait: then `overflow_queue`, or voicemail when there is none."
    )
    wrapup_s: int = Field(0, ge=0, le=3600, description="After-call work before the agent is offered again.")
    strategy: Strategy = "most_skilled"
    overflow_queue: Name | None = None
    announce_every_s: int | None = Field(None, ge=10, le=3600, description="Periodic announcements; null: none.")
    announce_position: bool = True
    announce_wait: bool = True
    escalation: list[EscalationStep] = Field(default_factory=list, max_length=20)
    screenpop_url: str | None = Field(
        None, max_length=500, examples=["https://crm.example/cust?phone={caller}"],
        description="An external CRM page the agent's desktop opens with the call: http(s) URL with "
                    f"placeholders {', '.join('{' + p + '}' for p in SCREENPOP_PLACEHOLDERS)}.",
    )

    @field_validator("screenpop_url")
    @classmethod
    def _screenpop_template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL")
        unknown = set(re.findall(r"{([^{}]*)}", value)) - set(SCREENPOP_PLACEHOLDERS)
        if unknown:
            known = ", ".join(SCREENPOP_PLACEHOLDERS)
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}} (known: {known})")
        return value


def screenpop_url(template: str, values: Mapping[str, str | None]) -> str:
    """The queue's CRM URL for one call: each placeholder replaced by its value, URL-encoded ("" if unknown)."""
    return re.sub(r"{([^{}]*)}", lambda m: quote(values.get(m.group(1)) or "", safe=""), template)


class AgentConfig(BaseModel):
    """Everything about an agent but its extension and SIP password."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Label
    max_concurrent: int = Field(1, ge=1, le=20, description="Calls (or other work) the agent takes at once.")
    active: bool = Field(True, description="An inactive agent has no PJSIP endpoint and cannot log in.")
    skills: SkillLevels = Field(default_factory=dict, description="skill -> proficiency (1-10)")


def skill_problems(skills: Mapping[str, int], known: Set[str], loc: tuple[str | int, ...]) -> list[FieldError]:
    return [FieldError((*loc, skill), f"unknown skill {skill!r}") for skill in skills if skill not in known]


def queue_problems(name: str, config: QueueConfig, *, skills: Set[str], queues: Set[str]) -> list[FieldError]:
    """What makes `config` unusable for queue `name`, given the skills and queues that exist. (Overflow
    cycles across queues are the routing core's check: ccserver/routing/validate.py.)"""
    problems = skill_problems(config.required_skills, skills, ("required_skills",))
    problems += _queue_ref(config.overflow_queue, name, queues, ("overflow_queue",))
    previous: _Step | None = None
    for i, step in enumerate(config.escalation):
        loc: tuple[str | int, ...] = ("escalation", i)
        if previous is not None and step.after_s < previous.after_s:
            problems.append(FieldError((*loc, "after_s"), f"comes before the step above it ({previous.after_s} s)"))
        if previous is not None and previous.action in TERMINAL_ACTIONS:
            problems.append(FieldError((*loc, "action"), f"the call has left the queue at step {i - 1}"))
        if config.max_wait_s is not None and step.after_s >= config.max_wait_s:
            problems.append(FieldError((*loc, "after_s"), f"not before max_wait_s ({config.max_wait_s} s)"))
        problems += _step_problems(step, name, loc, config, skills=skills, queues=queues)
        previous = step
    return problems


def _step_problems(
    step: _Step, name: str, loc: tuple[str | int, ...], config: QueueConfig, *, skills: Set[str], queues: Set[str]
) -> list[FieldError]:
    if isinstance(step, RelaxSkill | DropSkill) and step.skill not in skills:
        return [FieldError((*loc, "skill"), f"unknown skill {step.skill!r}")]
    if isinstance(step, Widen):
        return skill_problems(step.skills, skills, (*loc, "skills"))
    if isinstance(step, Overflow):
        if step.queue is None and config.overflow_queue is None:
            return [FieldError((*loc, "queue"), "needed: the queue has no overflow_queue")]
        return _queue_ref(step.queue, name, queues, (*loc, "queue"))
    return []


def _queue_ref(target: str | None, name: str, queues: Set[str], loc: tuple[str | int, ...]) -> list[FieldError]:
    if target is None:
        return []
    if target == name:
        return [FieldError(loc, "a queue cannot send calls to itself")]
    if target not in queues:
        return [FieldError(loc, f"unknown queue {target!r}")]
    return []
