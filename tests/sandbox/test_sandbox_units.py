"""The sandbox's pure parts: mirror choice, recipe marker, config sync, reload plan, AMI framing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccserver.sandbox.ami import parse_message
from ccserver.sandbox.host import (
    FALLBACK_MIRROR,
    debian_mirror,
    mirror_from_deb822,
    mirror_from_sources_list,
    require_free_space,
)
from ccserver.sandbox.install import ConfigChanges, desired_config, sync_tree
from ccserver.sandbox.paths import SandboxError, sandbox_ami_url
from ccserver.sandbox.recipe import RECIPE, marker_matches, write_marker
from ccserver.sandbox.reload import FULL_RELOAD, plan_reload

PROJECT = Path(__file__).resolve().parents[2]

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security

Types: deb
URIs: http://mirror.example.org/debian/ http://other.example.org/debian
Suites: bookworm bookworm-updates
"""


def test_mirror_is_the_first_main_archive_uri_of_the_deb822_sources() -> None:
    assert mirror_from_deb822(DEB822) == "http://mirror.example.org/debian"


def test_mirror_from_a_one_line_sources_list_skips_comments_options_and_security() -> None:
    text = (
        "# deb http://commented.example.org/debian bookworm main\n"
        "deb http://security.debian.org/debian-security bookworm-security main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example.org/debian bookworm main\n"
    )
    assert mirror_from_sources_list(text) == "http://mirror.example.org/debian"


def test_mirror_falls_back_to_deb_debian_org_when_the_host_has_no_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CCSERVER_SANDBOX_MIRROR", raising=False)
    assert debian_mirror(tmp_path / "none.sources", tmp_path / "sources.list") == FALLBACK_MIRROR


def test_mirror_override_from_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCSERVER_SANDBOX_MIRROR", "http://local.example/debian/")
    assert debian_mirror(tmp_path / "none.sources", tmp_path / "x") == "http://local.example/debian"


def test_a_chroot_without_marker_is_not_reused(tmp_path: Path) -> None:
    assert not marker_matches(tmp_path)


def test_a_chroot_built_from_this_recipe_is_reused_whatever_mirror_it_came_from(tmp_path: Path) -> None:
    write_marker(tmp_path, RECIPE, mirror="http://somewhere/debian")
    assert marker_matches(tmp_path)


def test_a_changed_package_list_rebuilds_the_chroot(tmp_path: Path) -> None:
    write_marker(tmp_path, RECIPE)
    changed = {**RECIPE, "packages": [*RECIPE["packages"], "sipp"]}
    assert not marker_matches(tmp_path, changed)


def test_a_corrupt_marker_means_rebuild(tmp_path: Path) -> None:
    write_marker(tmp_path, RECIPE)
    (tmp_path / ".ccserver-recipe.json").write_text("{not json")
    assert not marker_matches(tmp_path)


def test_too_little_disk_space_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="CCSERVER_SANDBOX_DIR"):
        require_free_space(tmp_path / "not" / "yet", needed=10**18)


def test_sandbox_config_is_the_repo_files_plus_the_sandbox_only_ones() -> None:
    files = desired_config(PROJECT, "s3cret")
    assert "extensions.conf" in files and "dialplans/inbound.conf" in files
    assert b"[ccserver](ccserver-rights)" in files["manager_users.conf"]
    assert b"secret = s3cret" in files["manager_users.conf"]
    assert b"Local/{did}@sim-callee" in files["extensions_custom.conf"]


def test_sync_reports_changed_and_removed_files_and_keeps_runtime_ones(tmp_path: Path) -> None:
    (tmp_path / "dialplans").mkdir()
    (tmp_path / "dialplans" / "old.conf").write_text("old")
    (tmp_path / "same.conf").write_text("same")
    (tmp_path / "pjsip_agents.conf").write_text("agents")
    desired = {"same.conf": b"same", "dialplans/new.conf": b"new"}

    changes = sync_tree(tmp_path, desired, keep=frozenset({"pjsip_agents.conf"}))

    assert changes == ConfigChanges(changed=["dialplans/new.conf"], removed=["dialplans/old.conf"])
    assert (tmp_path / "pjsip_agents.conf").read_text() == "agents"
    assert sync_tree(tmp_path, desired, keep=frozenset({"pjsip_agents.conf"})).any is False


def test_sync_holds_back_start_up_files_so_a_later_up_still_sees_them_changed(tmp_path: Path) -> None:
    (tmp_path / "modules.conf").write_text("old")
    changes = sync_tree(tmp_path, {"modules.conf": b"new"}, hold_back=frozenset({"modules.conf"}))
    assert changes.held_back == ["modules.conf"] and not changes.any
    assert (tmp_path / "modules.conf").read_text() == "old"


def test_a_dialplan_change_reloads_only_the_dialplan() -> None:
    plan = plan_reload(ConfigChanges(changed=["dialplans/inbound.conf", "extensions.conf"]))
    assert plan.modules == ["pbx_config"] and plan.needs_restart == []


def test_agent_and_trunk_changes_reload_pjsip() -> None:
    plan = plan_reload(ConfigChanges(changed=["pjsip.conf"], removed=["pjsip_custom.conf"]))
    assert plan.modules == ["res_pjsip.so"]


def test_a_modules_conf_change_needs_a_restart() -> None:
    plan = plan_reload(ConfigChanges(changed=["modules.conf", "manager.conf"]))
    assert plan.needs_restart == ["modules.conf"] and plan.modules == ["manager"]


def test_an_unknown_file_reloads_everything() -> None:
    plan = plan_reload(ConfigChanges(changed=["confbridge.conf", "pjsip.conf"]))
    assert plan.modules == [FULL_RELOAD]


def test_ami_frames_keep_repeated_output_headers_and_empty_values() -> None:
    message = parse_message("Response: Success\r\nOutput: line one\r\nOutput: \r\nOutput:  indented\r\n\r\n")
    assert message.get("response") == "Success"
    assert message.get_all("Output") == ["line one", "", " indented"]


def test_the_printed_ami_url_names_the_sandbox_switch() -> None:
    assert sandbox_ami_url("x") == "ami://ccserver:x@127.0.0.1:5038?switch=sandbox"
