"""`ccserver config check` loading the files into a scratch Asterisk beside the running sandbox."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccserver.ops import live_check
from ccserver.ops.config_check import config_check_command, run_checks
from ccserver.sandbox import SandboxInfo, sandbox_status
from ccserver.sandbox.paths import sandbox_paths

pytestmark = pytest.mark.sandbox

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("asterisk-conf", "dialplans", "ivr_prompts"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    return tmp_path


def _insert_after(path: Path, anchor: str, new_line: str) -> int:
    """Insert `new_line` after the first line equal to `anchor`; return its line number."""
    lines = path.read_text().splitlines()
    index = lines.index(anchor) + 1
    lines.insert(index, new_line)
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def test_the_repo_config_is_clean_in_real_asterisk(
    sandbox: SandboxInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert config_check_command(str(PROJECT), live=True) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert "config check: clean" in out.err and "skipped" not in out.err


def test_checking_does_not_disturb_the_running_sandbox(sandbox: SandboxInfo) -> None:
    before = sandbox_status().pids
    result = live_check.check(PROJECT)
    assert result.problems == [] and result.notes == []
    assert sandbox_status().pids == before
    leftovers = list((sandbox_paths().rootfs / "var/tmp").glob("ccserver-check-*"))
    assert leftovers == []


def test_a_broken_goto_and_bad_pjsip_options_are_reported_at_their_lines(
    sandbox: SandboxInfo, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbound = project / "dialplans" / "inbound.conf"
    inbound.write_text(
        inbound.read_text().replace("Goto(ccserver-fallback,s,1)", "Goto(no-such-context,s,1)", 1)
    )
    pjsip = project / "asterisk-conf" / "pjsip.conf"
    transport_line = _insert_after(pjsip, "protocol = udp", "bogus_option = yes")
    template_line = _insert_after(pjsip, "max_contacts = 1", "not_an_aor_option = 2")

    assert config_check_command(str(project), live=True) == 1
    lines = capsys.readouterr().out.splitlines()

    goto_line = next(n for n, text in enumerate(inbound.read_text().splitlines(), 1) if "no-such-context" in text)
    assert any(
        line.startswith(f"dialplans/inbound.conf:{goto_line}: context not found for goto to no-such-context")
        for line in lines
    )
    assert any(
        line.startswith(f"asterisk-conf/pjsip.conf:{transport_line}: ") and "'bogus_option'" in line
        for line in lines
    )
    assert any(
        line.startswith(f"asterisk-conf/pjsip.conf:{template_line}: ") and "'not_an_aor_option'" in line
        for line in lines
    )


def test_a_dialplan_parse_error_and_a_missing_module_come_from_asterisk_itself(
    sandbox: SandboxInfo, project: Path
) -> None:
    agents = project / "dialplans" / "agents.conf"
    agents.write_text(agents.read_text().replace("[from-agents]", "[from-agents"))
    modules = project / "asterisk-conf" / "modules.conf"
    modules.write_text(modules.read_text().replace("load = app_amd.so", "load = app_no_such_thing.so"))

    problems = {(p.file, p.line) for r in run_checks(project) if r.name == "asterisk" for p in r.problems}

    assert ("dialplans/agents.conf", 2) in problems
    module_line = modules.read_text().splitlines().index("load = app_no_such_thing.so") + 1
    assert ("asterisk-conf/modules.conf", module_line) in problems
