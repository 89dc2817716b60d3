"""`acd.yaml`: skills, not-ready reasons, queues and agents for ops to keep in a file (`dialplans/acd.yaml`).

Reading: the YAML is composed (keeping lines; duplicate keys are problems), turned into plain values, and
checked by the same models and rules as the REST API (ccserver/crm/acd_model.py). Every problem comes back
as `file:line: where: message`. Loading upserts the whole file in one transaction: what the file names is
created or replaced, what it does not name is left alone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from ccserver.asterisk.pjsip_agents import digest_ha1
from ccserver.crm import acd_config, agents, queues
from ccserver.crm.acd_model import (
    AgentConfig,
    Extension,
    Label,
    Name,
    QueueConfig,
    SipPassword,
    SkillName,
    queue_problems,
    skill_problems,
)
from ccserver.crm.errors import FieldError
from ccserver.ivr.flow_model import FlowProblem
from ccserver.ivr.yaml_fields import Reporter, line_of, mapping_items

Loc = tuple[str | int, ...]
HA1 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class ReasonSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: Label
    productive: bool = False


class AgentSpec(AgentConfig):
    """An agent in the file: its SIP password, or (to keep passwords out of the repo) the digest
    md5("<extension>:asterisk:<password>") as `sip_password_digest`."""

    sip_password: SipPassword | None = None
    sip_password_digest: HA1 | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> AgentSpec:
        if (self.sip_password is None) == (self.sip_password_digest is None):
            raise ValueError("give either sip_password or sip_password_digest")
        return self


class AcdSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    skills: dict[SkillName, Label | None] = Field(default_factory=dict)  # name -> description
    not_ready_reasons: dict[Name, ReasonSpec] = Field(default_factory=dict)
    queues: dict[Name, QueueConfig] = Field(default_factory=dict)
    agents: dict[Extension, AgentSpec] = Field(default_factory=dict)


@dataclass
class LoadReport:
    """kind (skills, ...) -> outcome (created, updated, unchanged) -> count."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    def describe(self) -> str:
        parts = []
        for kind, counts in self.counts.items():
            parts.append(f"{kind}: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))
        return "; ".join(parts) or "nothing to load"


def read_acd_file(path: Path, *, root: Path | None = None) -> tuple[AcdSpec | None, list[FlowProblem]]:
    """The file's content, or None with every problem found. `root`: paths in problems are relative to it."""
    name = str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path)
    report = Reporter(name)
    try:
        node = yaml.compose(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        return None, [FlowProblem(name, 1, f"cannot read: {exc}")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [FlowProblem(name, mark.line + 1 if mark else 1, f"not YAML: {exc}")]
    if node is None:
        return AcdSpec(), []
    lines: dict[Loc, int] = {(): line_of(node)}
    value = _plain(node, (), lines, report)  # a duplicate key is reported; the first one is read on
    if not isinstance(value, dict):
        return None, [FlowProblem(name, line_of(node), "expected a mapping: skills, not_ready_reasons, queues, agents")]
    try:
        spec = AcdSpec.model_validate(value)
    except ValidationError as exc:
        for error in exc.errors():
            _report(report, lines, tuple(error["loc"]), error["msg"].removeprefix("Value error, "))
        return None, report.problems
    for problem in _cross_problems(spec):
        _report(report, lines, problem.loc, problem.msg)
    return (None if report.problems else spec), report.problems


def check_acd_file(path: Path, *, root: Path | None = None) -> list[FlowProblem]:
    """For `ccserver config check`: the file's problems (none when it is fine)."""
    return read_acd_file(path, root=root)[1]


async def load_acd(*, session: AsyncSession, spec: AcdSpec) -> LoadReport:
    """Create or replace everything `spec` names, in one transaction; then commit."""
    report = LoadReport()
    for skill, description in spec.skills.items():
        await acd_config.put_skill(session=session, name=skill, description=description)
    report.counts["skills"] = Counter(put=len(spec.skills))
    for code, reason in spec.not_ready_reasons.items():
        await acd_config.put_reason(session=session, code=code, label=reason.label, productive=reason.productive)
    report.counts["not-ready reasons"] = Counter(put=len(spec.not_ready_reasons))
    for name, config in spec.queues.items():
        report.add("queues", await queues.put_queue(session=session, name=name, config=config))
    for extension, agent in spec.agents.items():
        values = agent.model_dump(include={"name", "max_concurrent", "active"})
        values["sip_ha1"] = agent.sip_password_digest or digest_ha1(extension, agent.sip_password or "")
        outcome = await agents.put_agent(session=session, extension=extension, values=values, skills=agent.skills)
        report.add("agents", outcome)
    await session.commit()
    return report


def _cross_problems(spec: AcdSpec) -> list[FieldError]:
    """What needs the whole file: skills and queues named must be defined in it."""
    skills, names = set(spec.skills), set(spec.queues)
    problems: list[FieldError] = []
    for name, config in spec.queues.items():
        problems += [_under(("queues", name), p) for p in queue_problems(name, config, skills=skills, queues=names)]
    for extension, agent in spec.agents.items():
        problems += skill_problems(agent.skills, skills, ("agents", extension, "skills"))
    return problems


def _under(prefix: Loc, problem: FieldError) -> FieldError:
    return FieldError((*prefix, *problem.loc), problem.msg)


def _plain(node: yaml.Node, loc: Loc, lines: dict[Loc, int], report: Reporter) -> Any:
    """Plain Python values from composed YAML, noting the line of every key and list item in `lines`.
    Keys stay text (`1001:` is "1001")."""
    if isinstance(node, yaml.MappingNode):
        items = mapping_items(node, ".".join(map(str, loc)) or "file", report) or {}
        result: dict[str, Any] = {}
        for key, (key_line, value) in items.items():
            lines[(*loc, key)] = key_line
            result[key] = _plain(value, (*loc, key), lines, report)
        return result
    if isinstance(node, yaml.SequenceNode):
        values = []
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = line_of(item)
            values.append(_plain(item, (*loc, i), lines, report))
        return values
    return yaml.constructor.SafeConstructor().construct_object(node)


def _report(report: Reporter, lines: dict[Loc, int], loc: Loc, message: str) -> None:
    """At the line of the deepest part of `loc` found in the file. Parts not in the file are left out of
    the location shown (pydantic's union tags, `[key]`), except a last one: the field that is missing."""
    shown: list[str | int] = []
    for part in loc:
        if (*shown, part) in lines:
            shown.append(part)
    line = lines[tuple(shown)]
    if loc and tuple(shown) != loc and loc[-1] != "[key]":
        shown.append(loc[-1])
    where = ".".join(map(str, shown))
    report(line, f"{where}: {message}" if where else message)
