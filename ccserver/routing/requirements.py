"""What a waiting call needs from an agent, after the escalation steps in force.

Requirements are alternative groups: an agent qualifies when it meets every level of any one group.
The first group is the queue's skills merged with the call's own (from the IVR; the stricter level
wins) and its language; `widen` steps add groups. Each group is a sorted tuple of (skill, level), so
requirements can be compared, hashed and used as index keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from ccserver.routing.model import MAX_LEVEL, MIN_LEVEL, EscalationStep, Queue, WaitingCall, language_skill

Group: TypeAlias = tuple[tuple[str, int], ...]
Requirements: TypeAlias = tuple[Group, ...]


def requirements(queue: Queue, call: WaitingCall, steps: int | None = None) -> Requirements:
    """`call`'s requirements in `queue` once its first `steps` escalation steps apply (default: `call.step`)."""
    first = _merged(queue.skills, call.skills)
    language = language_skill(call.language) if call.language else None
    if language is not None:
        first.setdefault(language, MIN_LEVEL)
    groups = [first]
    for step in queue.escalation[: call.step if steps is None else steps]:
        if step.action == "relax_skill" and step.skill is not None and step.min_level is not None:
            level = _clamp(step.min_level)
            for group in groups:
                if step.skill in group:
                    group[step.skill] = min(group[step.skill], level)
        elif step.action == "drop_skill" and step.skill is not None:
            for group in groups:
                group.pop(step.skill, None)
        elif step.action == "widen" and step.skills is not None:
            wider = _merged(step.skills, {})
            if language is not None and language in groups[0]:  # the caller's language is never widened away
                wider.setdefault(language, groups[0][language])
            groups.append(wider)
    return normalise(groups)


def normalise(groups: list[dict[str, int]]) -> Requirements:
    """Sorted, duplicates removed, in first-seen order."""
    return tuple(dict.fromkeys(tuple(sorted(group.items())) for group in groups))


def satisfies(skills: Mapping[str, int], needs: Requirements) -> bool:
    for group in needs:
        for skill, level in group:
            if skills.get(skill, 0) < level:
                break
        else:
            return True
    return False


def skill_fit(skills: Mapping[str, int], needs: Requirements) -> int | None:
    """None when an agent with `skills` does not qualify; else how well it fits (the most-skilled
    strategy's measure): the best sum of its levels over a group it meets."""
    best: int | None = None
    for group in needs:
        total = 0
        for skill, level in group:
            have = skills.get(skill, 0)
            if have < level:
                break
            total += have
        else:
            if best is None or total > best:
                best = total
    return best


Gap = tuple[str, int, int]  # (skill, level needed, level held; 0 = lacks the skill)


def first_gap(skills: Mapping[str, int], needs: Requirements) -> Gap | None:
    """None when an agent with `skills` qualifies; else why not: the first group's first missing level
    (with several groups it speaks for all). `satisfies` and the reason in one pass."""
    gap: Gap | None = None
    for group in needs:
        for skill, level in group:
            have = skills.get(skill, 0)
            if have < level:
                if gap is None:
                    gap = (skill, level, have)
                break
        else:
            return None
    return gap


def gap_kind(gap: Gap) -> str:
    """The reason agents are counted under: "lacks skill lang:es", "skill billing below 5"."""
    skill, level, have = gap
    return f"lacks skill {skill}" if have == 0 else f"skill {skill} below {level}"


def gap_detail(gap: Gap) -> str:
    """One agent's reason: "lacks skill lang:es", "skill billing 3 < 5"."""
    skill, level, have = gap
    return f"lacks skill {skill}" if have == 0 else f"skill {skill} {have} < {level}"


def as_dicts(needs: Requirements) -> list[dict[str, int]]:
    return [dict(group) for group in needs]


def describe_step(step: EscalationStep, index: int) -> str:
    """`step 2 (after 60 s): widen to general>=1`; index counts from 1."""
    what: str = step.action.replace("_", " ")
    if step.action == "relax_skill":
        what = f"relax {step.skill} to {step.min_level}"
    elif step.action == "drop_skill":
        what = f"drop {step.skill}"
    elif step.action == "widen":
        what = "widen to " + ",".join(f"{s}>={lv}" for s, lv in sorted((step.skills or {}).items()))
    elif step.action == "overflow" and step.queue:
        what = f"overflow to {step.queue}"
    return f"step {index} (after {step.after_s:g} s): {what}"


def in_force(queue: Queue, step: int) -> str:
    return describe_step(queue.escalation[step - 1], step) if step else "queue requirements"


def _merged(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    merged = {skill: _clamp(level) for skill, level in a.items()}
    for skill, level in b.items():
        merged[skill] = max(merged.get(skill, 0), _clamp(level))
    return merged


def _clamp(level: int) -> int:
    return min(MAX_LEVEL, max(MIN_LEVEL, level))
