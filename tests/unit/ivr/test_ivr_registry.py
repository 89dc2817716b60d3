"""Flows in service: reloads take good changes, keep the last good version of a bad one, and never
move a call already in progress."""

from __future__ import annotations

import asyncio
import logging
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ccserver.ivr import engine
from ccserver.ivr.commands import CollectDigits, Digits
from ccserver.ivr.flow_registry import FlowRegistry

from .support import STRANGER

NOW = datetime(2025, 6, 3, 15, 0, tzinfo=UTC)
MENU = """
    flow: main
    languages: [en]
    start: menu
    nodes:
      menu:
        type: menu
        prompt: menu
        options: {"1": sales, "2": more}
      sales: {type: route, queue: sales}
      more: {type: goto_flow, flow: extra}
"""
EXTRA = """
    flow: extra
    languages: [en]
    start: bye
    nodes:
      bye: {type: hangup, prompt: bye}
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    for language in ("en",):
        (tmp_path / "prompts" / language).mkdir(parents=True)
        for name in ("menu", "bye"):
            (tmp_path / "prompts" / language / f"{name}.txt").write_text(f"{name}.\n")
    (tmp_path / "flows").mkdir()
    write(tmp_path, "main.yaml", MENU)
    write(tmp_path, "extra.yaml", EXTRA)
    return tmp_path


def write(site: Path, name: str, text: str) -> None:
    (site / "flows" / name).write_text(textwrap.dedent(text).lstrip("\n"))


def registry_of(site: Path) -> FlowRegistry:
    return FlowRegistry(site / "flows", prompt_dir=site / "prompts")


def test_a_clean_directory_loads_every_flow_with_its_version(site: Path) -> None:
    registry = registry_of(site)
    assert registry.snapshot().flows == {}
    assert registry.reload() == []
    flows = registry.snapshot()
    assert sorted(flows.flows) == ["extra", "main"] and flows.generation == 1
    assert len(flows.version_of("main")) == 12 and flows.version_of("nosuch") == ""
    assert registry.reload() == [] and registry.snapshot() is flows  # nothing changed: same snapshot


def test_a_bad_edit_keeps_the_last_good_version_and_says_why(site: Path) -> None:
    registry = registry_of(site)
    registry.reload()
    good = registry.snapshot().get("main")
    write(site, "main.yaml", MENU.replace('"1": sales', '"1": saels'))
    problems = registry.reload()
    assert [str(p) for p in problems] == [
        f"{site}/flows/main.yaml:8: node 'menu': option 1: no node 'saels'",
        f"{site}/flows/main.yaml:9: node 'sales' is never reached (not from start, no goto_flow)",
    ]
    assert registry.snapshot().get("main") is good


def test_a_call_finishes_on_the_version_it_started_with(site: Path) -> None:
    registry = registry_of(site)
    registry.reload()
    before = registry.snapshot()
    step = engine.start(before, "main", STRANGER, NOW)
    write(site, "main.yaml", MENU.replace("queue: sales", "queue: sales_v2"))
    assert registry.reload() == []
    after = registry.snapshot()
    assert after.generation == before.generation + 1
    assert engine.advance(before, step.state, Digits("1"), NOW).command.routing.queue == "sales"  # type: ignore[union-attr]
    new_call = engine.start(after, "main", STRANGER, NOW)
    assert engine.advance(after, new_call.state, Digits("1"), NOW).command.routing.queue == "sales_v2"  # type: ignore[union-attr]


def test_a_change_that_breaks_another_flow_is_not_taken(site: Path) -> None:
    registry = registry_of(site)
    registry.reload()
    write(site, "extra.yaml", EXTRA.replace("flow: extra", "flow: extras"))
    problems = registry.reload()
    assert [p.message for p in problems] == ["node 'more': goto_flow: no flow 'extra'"]
    assert sorted(registry.snapshot().flows) == ["extra", "main"]


def test_a_new_flow_with_problems_is_never_loaded(site: Path) -> None:
    write(site, "broken.yaml", "flow: broken\nlanguages: [en]\nstart: a\nnodes:\n  a: {type: play, prompt: nosuch}\n")
    registry = registry_of(site)
    problems = registry.reload()
    assert [p.message for p in problems] == ["node 'a': missing 'next'"]
    assert "broken" not in registry.snapshot().flows and "main" in registry.snapshot().flows


def test_a_missing_prompt_keeps_the_flow_out_until_the_prompt_is_written(site: Path) -> None:
    write(site, "extra.yaml", EXTRA.replace("prompt: bye", "prompt: farewell"))
    registry = registry_of(site)
    assert [p.message for p in registry.reload()] == [
        "node 'bye': prompt 'farewell' missing for en: no ivr_prompts/en/farewell.txt",
        "node 'more': goto_flow: no flow 'extra'",
    ]
    assert list(registry.snapshot().flows) == []  # main needs extra: neither is in service
    (site / "prompts" / "en" / "farewell.txt").write_text("Farewell.\n")
    assert registry.reload() == []
    assert sorted(registry.snapshot().flows) == ["extra", "main"]


def test_deleting_a_file_takes_its_flow_out_of_service(site: Path) -> None:
    registry = registry_of(site)
    registry.reload()
    (site / "flows" / "extra.yaml").unlink()
    assert [p.message for p in registry.reload()] == ["node 'more': goto_flow: no flow 'extra'"]
    assert list(registry.snapshot().flows) == ["main"]


async def test_watch_reloads_after_a_change_and_logs_what_it_refused(
    site: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = registry_of(site)
    registry.reload()
    watcher = asyncio.create_task(registry.watch(interval=0.01))
    try:
        write(site, "main.yaml", MENU.replace('prompt: menu', 'prompt: [menu, bye]'))
        for _ in range(200):
            if registry.snapshot().generation == 2:
                break
            await asyncio.sleep(0.01)
        step = engine.start(registry.snapshot(), "main", STRANGER, NOW)
        assert step.command == CollectDigits(("menu", "bye"), "en", 1, 5.0)
        with caplog.at_level(logging.WARNING, logger="ccserver.ivr.flow_registry"):
            write(site, "main.yaml", MENU + "      orphan: {type: hangup}\n")
            for _ in range(200):
                refused = [r for r in caplog.records if r.name == "ccserver.ivr.flow_registry"]
                if refused:
                    break
                await asyncio.sleep(0.01)
        assert "node 'orphan' is never reached" in refused[0].getMessage()
        assert registry.snapshot().generation == 2
    finally:
        watcher.cancel()
        with pytest.raises(asyncio.CancelledError):
            await watcher
