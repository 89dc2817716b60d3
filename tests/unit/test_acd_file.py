"""acd.yaml: the demo file is sound and serves the IVR's routes; a broken file is reported line by line."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ccserver.crm.acd_file import read_acd_file
from ccserver.ops import acd_check

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "dialplans" / "acd.yaml"


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "acd.yaml"
    path.write_text(textwrap.dedent(text))
    spec, problems = read_acd_file(path, root=tmp_path)
    assert (spec is None) == bool(problems)
    return [str(p) for p in problems]


def _ivr_routing(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("queue", "skills"):
                yield key, value
            yield from _ivr_routing(value)
    elif isinstance(node, list):
        for item in node:
            yield from _ivr_routing(item)


def test_demo_file_is_clean() -> None:
    spec, problems = read_acd_file(DEMO, root=REPO)

    assert problems == []
    assert spec is not None
    assert sorted(spec.agents) == ["1001", "1002", "1003", "1004", "1005", "1006"]
    assert {"billing", "support", "general", "callbacks", "voicemail"} <= set(spec.queues)
    assert "missed" in spec.not_ready_reasons  # what the ACD records when an offered call rings out


def test_demo_serves_every_queue_and_skill_the_ivr_routes_to() -> None:
    spec, _ = read_acd_file(DEMO)
    assert spec is not None
    routed = [item for flow in sorted((REPO / "dialplans" / "ivr").glob("*.yaml"))
              for item in _ivr_routing(yaml.safe_load(flow.read_text()))]

    queues = {value for key, value in routed if key == "queue"}
    skills = {skill for key, value in routed if key == "skills" for skill in value}

    assert queues and queues <= set(spec.queues)
    assert skills and skills <= set(spec.skills)


def test_demo_agents_cover_both_languages_and_every_skilled_queue() -> None:
    spec, _ = read_acd_file(DEMO)
    assert spec is not None

    for language in ("lang:en", "lang:es"):
        assert any(language in agent.skills for agent in spec.agents.values())
    for queue in spec.queues.values():
        assert any(
            all(agent.skills.get(skill, 0) >= level for skill, level in queue.required_skills.items())
            for agent in spec.agents.values()
        )


def test_every_problem_comes_with_its_line(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """\
        skills:
          billing: Billing
          billing: again
          "bad name": x
        not_ready_reasons:
          break: {label: Break, colour: red}
        queues:
          billing:
            required_skills: {billing: 11}
            escalation:
              - {after_s: 60, action: relax_skill, skill: billing}
              - {after_s: 90, action: teleport}
        agents:
          1001:
            name: A
          "12x":
            name: B
            sip_password: short
        """,
    )

    assert problems[0] == "acd.yaml:3: skills: duplicate key 'billing' (first at line 2)"
    assert problems[1].startswith("acd.yaml:4: skills.bad name: String should match pattern")
    assert problems[2:5] == [
        "acd.yaml:6: not_ready_reasons.break.colour: Extra inputs are not permitted",
        "acd.yaml:9: queues.billing.required_skills.billing: Input should be less than or equal to 10",
        "acd.yaml:11: queues.billing.escalation.0.min_level: Field required",
    ]
    assert problems[5].startswith("acd.yaml:12: queues.billing.escalation.1: Input tag 'teleport'")
    assert problems[6:] == [
        "acd.yaml:14: agents.1001: give either sip_password or sip_password_digest",
        "acd.yaml:16: agents.12x: String should match pattern '^[0-9]{2,15}$'",
        "acd.yaml:18: agents.12x.sip_password: String should have at least 8 characters",
    ]


def test_names_must_be_defined_in_the_file(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """\
        skills: {billing: Billing}
        queues:
          billing:
            required_skills: {billing: 5, nosuch: 2}
            max_wait_s: 100
            escalation:
              - {after_s: 90, action: widen, skills: {lang:fr: 1}}
              - {after_s: 60, action: overflow, queue: elsewhere}
              - {after_s: 120, action: voicemail}
        agents:
          "1001": {name: A, sip_password: long-enough, skills: {billing: 5, cooking: 3}}
        """,
    )

    assert problems == [
        "acd.yaml:4: queues.billing.required_skills.nosuch: unknown skill 'nosuch'",
        "acd.yaml:7: queues.billing.escalation.0.skills.lang:fr: unknown skill 'lang:fr'",
        "acd.yaml:8: queues.billing.escalation.1.after_s: comes before the step above it (90 s)",
        "acd.yaml:8: queues.billing.escalation.1.queue: unknown queue 'elsewhere'",
        "acd.yaml:9: queues.billing.escalation.2.action: the call has left the queue at step 1",
        "acd.yaml:9: queues.billing.escalation.2.after_s: not before max_wait_s (100 s)",
        "acd.yaml:11: agents.1001.skills.cooking: unknown skill 'cooking'",
    ]


def test_a_digest_keeps_the_password_out_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "acd.yaml"
    path.write_text('agents:\n  "1001": {name: A, sip_password_digest: 43a8d9be3da524f9a59ca0593d7b1b5d}\n')

    spec, problems = read_acd_file(path)

    assert problems == [] and spec is not None
    assert spec.agents["1001"].sip_password is None


def test_an_empty_file_is_an_empty_configuration_and_garbage_is_one_problem(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "") == []
    assert problems_of(tmp_path, "# nothing yet\n") == []
    garbage = problems_of(tmp_path, "queues: [unclosed\n")
    assert len(garbage) == 1 and garbage[0].startswith("acd.yaml:2: not YAML")
    assert problems_of(tmp_path, "- a list\n") == [
        "acd.yaml:1: expected a mapping: skills, not_ready_reasons, queues, agents"
    ]


def test_config_check_reports_the_file_relative_to_the_project(tmp_path: Path) -> None:
    (tmp_path / "dialplans").mkdir()
    (tmp_path / "dialplans" / "acd.yaml").write_text("queues:\n  billing: {priority: 500}\n")

    result = acd_check.check(tmp_path)

    assert [str(p) for p in result.problems] == [
        "dialplans/acd.yaml:2: queues.billing.priority: Input should be less than or equal to 100"
    ]
