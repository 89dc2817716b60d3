"""pjsip_agents.conf: what is rendered for the agents, how it is written, and when the switches reload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from ccserver.asterisk.pjsip_agents import (
    AgentProvisioner,
    PjsipAgent,
    digest_ha1,
    render_pjsip_agents,
    write_atomically,
)

ADA = PjsipAgent("1001", "Ada Lovelace", digest_ha1("1001", "correct-horse"))
BOB = PjsipAgent("1002", 'Bob "the; builder" [x]', digest_ha1("1002", "battery-staple"))


class Switches:
    def __init__(self, *ids: str, down: Sequence[str] = ()) -> None:
        self.ids, self.down = list(ids), set(down)
        self.reloads: list[tuple[str, str]] = []

    def switch_ids(self) -> list[str]:
        return self.ids

    async def reload_module(self, switch_id: str, module: str) -> str:
        if switch_id in self.down:
            raise RuntimeError("AMI not connected")
        self.reloads.append((switch_id, module))
        return "Module Reloaded"


def loader(*agents: PjsipAgent) -> Callable[[], Awaitable[list[PjsipAgent]]]:
    async def load() -> list[PjsipAgent]:
        return list(agents)

    return load


def test_ha1_is_the_digest_asterisk_documents() -> None:
    # pjsip.conf.sample: echo -n "fred:asterisk:mypass" | openssl dgst -md5
    assert digest_ha1("fred", "mypass") == "43a8d9be3da524f9a59ca0593d7b1b5d"


def test_each_agent_gets_an_endpoint_aor_and_digest_auth_from_the_templates() -> None:
    text = render_pjsip_agents([ADA])

    assert text.splitlines()[2:] == [
        "",
        "[1001](agent-endpoint)",
        "aors = 1001",
        "auth = 1001",
        'callerid = "Ada Lovelace" <1001>',
        "",
        "[1001](agent-aor)",
        "",
        "[1001](agent-auth)",
        "auth_type = digest",
        "username = 1001",
        "realm = asterisk",
        f"password_digest = MD5:{ADA.ha1}",
    ]
    assert text.startswith("; Written by ccserver")


def test_agents_come_in_extension_order_and_names_cannot_break_the_file() -> None:
    text = render_pjsip_agents([BOB, ADA])

    assert text.index("[1001](agent-endpoint)") < text.index("[1002](agent-endpoint)")
    assert 'callerid = "Bob the builder x" <1002>' in text


def test_no_agents_is_a_file_with_only_its_header() -> None:
    assert all(line.startswith(";") for line in render_pjsip_agents([]).splitlines())


def test_write_replaces_the_file_and_reports_no_change_for_the_same_text(tmp_path: Path) -> None:
    path = tmp_path / "pjsip_agents.conf"

    assert write_atomically(path, "one\n") is True
    assert write_atomically(path, "one\n") is False
    assert write_atomically(path, "two\n") is True
    assert path.read_text() == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["pjsip_agents.conf"]  # no temp file left
    assert path.stat().st_mode & 0o777 == 0o640  # digests are password equivalents


async def test_a_change_is_written_then_every_switch_reloads_pjsip(tmp_path: Path) -> None:
    switches = Switches("pbx1", "pbx2")
    provisioner = AgentProvisioner(tmp_path, switches)

    result = await provisioner.sync(loader(ADA))

    assert (result.status, result.agents, result.reloaded) == ("applied", 1, ["pbx1", "pbx2"])
    assert switches.reloads == [("pbx1", "res_pjsip.so"), ("pbx2", "res_pjsip.so")]
    assert (tmp_path / "pjsip_agents.conf").read_text() == render_pjsip_agents([ADA])


async def test_nothing_changed_means_no_reload(tmp_path: Path) -> None:
    switches = Switches("pbx1")
    provisioner = AgentProvisioner(tmp_path, switches)
    await provisioner.sync(loader(ADA))

    result = await provisioner.sync(loader(ADA))

    assert result.status == "unchanged" and len(switches.reloads) == 1


async def test_a_switch_that_missed_the_reload_gets_it_on_the_next_sync(tmp_path: Path) -> None:
    switches = Switches("pbx1", "pbx2", down=["pbx2"])
    provisioner = AgentProvisioner(tmp_path, switches)

    missed = await provisioner.sync(loader(ADA))
    switches.down.clear()
    retried = await provisioner.sync(loader(ADA))
    settled = await provisioner.sync(loader(ADA))

    assert (missed.status, missed.reloaded, list(missed.failed)) == ("failed", ["pbx1"], ["pbx2"])
    assert (retried.status, retried.reloaded) == ("applied", ["pbx1", "pbx2"])
    assert settled.status == "unchanged"


async def test_without_switches_the_file_is_still_written(tmp_path: Path) -> None:
    for provisioner in (AgentProvisioner(tmp_path / "a", None), AgentProvisioner(tmp_path / "b", Switches())):
        provisioner.conf_dir.mkdir()
        result = await provisioner.sync(loader(ADA, BOB))
        assert result.status == "written" and "no switch" in result.detail
        assert "[1002](agent-auth)" in provisioner.path.read_text()


async def test_a_missing_config_dir_is_reported_not_created(tmp_path: Path) -> None:
    provisioner = AgentProvisioner(tmp_path / "nowhere", Switches("pbx1"))

    result = await provisioner.sync(loader(ADA))

    assert result.status == "failed" and "CCSERVER_ASTERISK_CONF_DIR" in result.detail
    assert not (tmp_path / "nowhere").exists()
