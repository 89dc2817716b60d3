"""`ccserver config check` without Asterisk: asterisklint mapping, our static rules, log and CLI parsing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccserver.ops import lint_dialplan, static_checks
from ccserver.ops.asterisk_log import LogContext, parse_log
from ccserver.ops.config_check import config_check_command
from ccserver.ops.layout import project_layout
from ccserver.ops.lint_dialplan import LintMessage, is_false_positive, lint_problems
from ccserver.ops.live_check import listed_objects, running_modules
from ccserver.ops.report import Problem
from ccserver.ops.scratch import rewrite_transport_binds, template_probes

PROJECT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"  # recorded from Asterisk 22.10 in the sandbox


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repo's Asterisk config to break."""
    for name in ("asterisk-conf", "dialplans", "ivr_prompts"):
        shutil.copytree(PROJECT / name, tmp_path / name)
    return tmp_path


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, count))


# --- asterisklint ------------------------------------------------------------------------------


def test_asterisklint_messages_are_mapped_to_repo_paths() -> None:
    layout = project_layout(PROJECT)
    output = (
        "dialplans/inbound.conf:9 E_DP_GOTO_NOCONTEXT: context not found for goto to nowhere, s, 1\n"
        "extensions.conf:4 W_WSH_VARSET: expected no horizontal whitespace around equals operator\n"
    )
    assert lint_problems(layout, output) == [
        Problem(
            "dialplans/inbound.conf",
            9,
            "context not found for goto to nowhere, s, 1 [asterisklint E_DP_GOTO_NOCONTEXT]",
        )
    ]


def test_a_crash_of_asterisklint_is_a_problem_not_silence() -> None:
    problems = lint_problems(project_layout(PROJECT), "Traceback ...\nKeyError: 'x'\n")
    assert [p.message for p in problems] == ["asterisklint: KeyError: 'x'"]


def test_trailing_blank_before_tryinclude_is_a_false_positive_but_a_real_one_is_not() -> None:
    text = "[a]\nexten => s,1,NoOp()\n\n#tryinclude extensions_custom.conf\n"
    assert is_false_positive(LintMessage("extensions.conf", 3, "W_WSV_EOF", "unexpected"), text, set())
    text = "[a]\nexten => s,1,NoOp()\n\n\n"
    assert not is_false_positive(LintMessage("extensions.conf", 3, "W_WSV_EOF", "unexpected"), text, set())


def test_asterisk_22_apps_unknown_to_asterisklint_pass_only_when_their_module_loads() -> None:
    amd = LintMessage(
        "dialplans/x.conf", 3, "E_APP_MISSING", "app 'AMD' does not exist, dialplan will halt here!"
    )
    assert is_false_positive(amd, "", {"app_amd.so"})
    assert not is_false_positive(amd, "", {"app_dial.so"})
    typo = LintMessage(
        "dialplans/x.conf", 3, "E_APP_MISSING", "app 'Dail' does not exist, dialplan will halt here!"
    )
    assert not is_false_positive(typo, "", {"app_dial.so"})


def test_asterisklint_passes_the_repo_dialplan() -> None:
    assert lint_dialplan.check(PROJECT).problems == []


def test_asterisklint_finds_a_goto_to_a_missing_context(project: Path) -> None:
    _replace(
        project / "dialplans" / "inbound.conf", "Goto(ccserver-fallback,s,1)", "Goto(no-such-context,s,1)"
    )
    problems = lint_dialplan.check(project).problems
    line = _line_of(project / "dialplans" / "inbound.conf", "Goto(no-such-context,s,1)")
    assert [(p.file, p.line) for p in problems] == [("dialplans/inbound.conf", line)]
    assert "no-such-context" in problems[0].message


# --- our own rules -----------------------------------------------------------------------------


def test_static_rules_pass_the_repo() -> None:
    assert static_checks.check(PROJECT).problems == []


def test_a_dialplan_file_nobody_includes_is_reported(project: Path) -> None:
    (project / "dialplans" / "orphan.conf").write_text("[orphan]\nexten => s,1,NoOp()\n")
    assert [str(p) for p in static_checks.check(project).problems] == [
        "dialplans/orphan.conf: not included by asterisk-conf/extensions.conf: "
        "add `#include dialplans/orphan.conf` there"
    ]


def test_custom_tryincludes_must_stay_last(project: Path) -> None:
    with (project / "asterisk-conf" / "pjsip.conf").open("a") as conf:
        conf.write("\n[late]\ntype = aor\n")
    problems = static_checks.check(project).problems
    assert len(problems) == 1
    assert problems[0].file == "asterisk-conf/pjsip.conf"
    assert "#tryinclude pjsip_custom.conf" in problems[0].message


def test_ami_must_listen_on_loopback(project: Path) -> None:
    _replace(project / "asterisk-conf" / "manager.conf", "bindaddr = 127.0.0.1", "bindaddr = 0.0.0.0")
    (problem,) = static_checks.check(project).problems
    assert problem.file == "asterisk-conf/manager.conf" and "0.0.0.0" in problem.message


def test_an_include_of_a_missing_file_is_reported(project: Path) -> None:
    _replace(
        project / "asterisk-conf" / "extensions.conf",
        "#include dialplans/agents.conf",
        "#include dialplans/nope.conf",
    )
    messages = [str(p) for p in static_checks.check(project).problems]
    line = _line_of(project / "asterisk-conf" / "extensions.conf", "#include dialplans/nope.conf")
    assert f"asterisk-conf/extensions.conf:{line}: #include dialplans/nope.conf: no such file" in messages


def test_config_check_without_asterisk_is_clean_on_the_repo(capsys: pytest.CaptureFixture[str]) -> None:
    assert config_check_command(str(PROJECT), live=False) == 0
    assert "config check: clean" in capsys.readouterr().err


def test_config_check_exits_1_with_file_line_lines(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _replace(
        project / "dialplans" / "inbound.conf", "Goto(ccserver-fallback,s,1)", "Goto(no-such-context,s,1)"
    )
    assert config_check_command(str(project), live=False) == 1
    line = _line_of(project / "dialplans" / "inbound.conf", "Goto(no-such-context,s,1)")
    assert capsys.readouterr().out.startswith(f"dialplans/inbound.conf:{line}: context not found")


def test_a_directory_that_is_not_a_project_exits_2(tmp_path: Path) -> None:
    assert config_check_command(str(tmp_path), live=False) == 2


# --- what Asterisk says (recorded from Asterisk 22.10 in the sandbox) ---------------------------

RECORDED_LOG = (DATA / "scratch-asterisk.log").read_text()


def test_asterisk_log_errors_land_on_the_repo_file_and_line() -> None:
    layout = project_layout(PROJECT)
    ctx = LogContext(
        etc_prefix="/var/tmp/ccserver-check-7/etc/",
        to_project=layout.project_path,
        sections={"transport-udp": ("pjsip.conf", 7)},
        modules={"app_nosuch.so": 63},
        probes={"ccserver-probe-agent-aor": ("agent-aor", 27)},
    )
    findings = parse_log(RECORDED_LOG, ctx)
    assert [(p.file, p.line) for p in findings.problems] == [
        ("asterisk-conf/pjsip.conf", 10),
        ("asterisk-conf/pjsip.conf", 7),
        ("asterisk-conf/pjsip.conf", 30),
        ("dialplans/agents.conf", 2),
        ("dialplans/inbound.conf", 9),
        ("asterisk-conf/modules.conf", 63),
    ]
    assert findings.failed_objects == {"transport-udp"}
    assert "template [agent-aor]" in findings.problems[2].message


def test_module_show_rows_with_long_names_still_parse() -> None:
    output = (DATA / "module-show.txt").read_text()
    assert running_modules(output) == {"res_pjsip_outbound_authenticator_digest.so", "app_dial.so"}


def test_pjsip_show_rows_give_object_ids_not_headers() -> None:
    output = (
        " Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>\n"
        " Endpoint:  1001/1001                                            Unavailable   0 of inf\n"
        " Endpoint:  ccserver-probe-trunk-endpoint                        Unavailable   0 of inf\n"
    )
    assert listed_objects("endpoint", output) == {"1001", "ccserver-probe-trunk-endpoint"}


def test_scratch_transports_move_to_free_ports_without_shifting_lines() -> None:
    text = (PROJECT / "asterisk-conf" / "pjsip.conf").read_text()
    rewritten = rewrite_transport_binds(text, {"transport-udp": 40123})
    assert len(rewritten.splitlines()) == len(text.splitlines())
    assert "bind = 127.0.0.1:40123" in rewritten and "0.0.0.0:5060" not in rewritten


def test_every_pjsip_template_gets_a_probe_object() -> None:
    probes = template_probes((PROJECT / "asterisk-conf" / "pjsip.conf").read_text())
    assert {(p.template, p.object_type) for p in probes} >= {
        ("agent-endpoint", "endpoint"),
        ("agent-aor", "aor"),
        ("agent-auth", "auth"),
        ("trunk-endpoint", "endpoint"),
    }
