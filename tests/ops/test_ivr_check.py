"""`ccserver config check` on the IVR flows: dialplans/ivr/*.yaml with their ivr_prompts/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccserver.ops import config_check, ivr_check
from ccserver.ops.config_check import config_check_command
from ccserver.ops.report import Problem

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repo's config, flows and prompts to break."""
    for name in ("asterisk-conf", "dialplans", "ivr_prompts"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    return tmp_path


def test_the_repo_flows_are_clean_and_checked_by_config_check() -> None:
    assert ivr_check.check in config_check.CHECKERS
    result = ivr_check.check(PROJECT)
    assert result.name == "ivr" and result.problems == [] and result.notes == []


def test_broken_flows_are_reported_at_their_repo_file_and_line(project: Path) -> None:
    inbound = project / "dialplans" / "ivr" / "inbound.yaml"
    text = inbound.read_text()
    assert '      "0": agent\n' in text
    inbound.write_text(text.replace('      "0": agent\n', '      "3": agent\n'))
    (project / "ivr_prompts" / "es" / "goodbye.txt").unlink()
    problems = ivr_check.check(project).problems
    line_of = {line.strip(): n for n, line in enumerate(inbound.read_text().splitlines(), start=1)}
    goodbye_line = next(
        n for n, line in enumerate((project / "dialplans/ivr/after_hours.yaml").read_text().splitlines(), start=1)
        if line.strip() == "prompt: goodbye"
    )
    assert problems == [
        Problem(
            "dialplans/ivr/after_hours.yaml", goodbye_line,
            "node 'goodbye': prompt 'goodbye' missing for es: no ivr_prompts/es/goodbye.txt",
        ),
        Problem(
            "dialplans/ivr/inbound.yaml", line_of['"3": agent'],
            "node 'main_menu': options: duplicate DTMF key '3' (first at line " + str(line_of['"3": callback']) + ")",
        ),
    ]


def test_config_check_prints_ivr_problems_and_fails(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = "flow: extra\nlanguages: [en]\nstart: a\nnodes:\n  a: {}\n"
    (project / "dialplans" / "ivr" / "extra.yaml").write_text(extra)
    assert config_check_command(str(project), live=False) == 1
    out = capsys.readouterr()
    assert "dialplans/ivr/extra.yaml:5: node 'a': missing 'type'" in out.out.splitlines()
    assert "ivr 1" in out.err


def test_missing_prompts_directory_is_one_problem_not_one_per_prompt(project: Path) -> None:
    shutil.rmtree(project / "ivr_prompts")
    assert ivr_check.check(project).problems == [
        Problem("ivr_prompts", None, "missing: the IVR flows' prompts are not there")
    ]


def test_a_project_without_ivr_flows_gets_a_note_not_a_problem(tmp_path: Path) -> None:
    result = ivr_check.check(tmp_path)
    assert result.problems == [] and result.notes == ["no dialplans/ivr/: no IVR flows to check"]
