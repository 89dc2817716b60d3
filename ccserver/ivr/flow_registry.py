"""The flows in service: a directory of `*.yaml`, validated as a set, reloaded when files change.

A changed file that fails validation never replaces the last good version of its flow; the problems
are returned (and logged by `watch`). Each call takes `snapshot()` once and runs on it to the end,
whatever reloads happen meanwhile.

    registry = FlowRegistry(Path("dialplans/ivr"), prompt_dir=Path("ivr_prompts"))
    problems = registry.reload()
    flows = registry.snapshot()   # a FlowSet, immutable
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import MappingProxyType

from ccserver.ivr.flow_model import Flow, FlowProblem, FlowSet
from ccserver.ivr.flow_validate import prompts_in, validate_flows
from ccserver.ivr.flow_yaml import LoadedFlow, load_flow

log = logging.getLogger(__name__)
Fingerprint = tuple[tuple[str, int, int], ...]


def read_flow_dir(flow_dir: Path, root: Path | None = None) -> dict[str, LoadedFlow]:
    """Every `*.yaml` of the directory, by file label (relative to `root` when given)."""
    loaded = {}
    for path in sorted(flow_dir.glob("*.yaml")):
        label = str(path.relative_to(root)) if root else str(path)
        try:
            loaded[label] = load_flow(path.read_text(encoding="utf-8"), label)
        except (OSError, UnicodeDecodeError) as exc:
            loaded[label] = LoadedFlow(label, None, (FlowProblem(label, 1, f"cannot read: {exc}"),))
    return loaded


def check_flow_dir(flow_dir: Path, prompt_dir: Path | None, root: Path | None = None) -> list[FlowProblem]:
    """Every problem of every file, as `ccserver config check` reports them."""
    loaded = read_flow_dir(flow_dir, root)
    flows = [entry.flow for entry in loaded.values() if entry.flow is not None]
    problems = [p for entry in loaded.values() for p in entry.problems]
    problems += validate_flows(flows, prompts_in(prompt_dir) if prompt_dir else None)
    return sorted(set(problems))


def _fingerprint(*patterns: tuple[Path | None, str]) -> Fingerprint:
    entries = []
    for directory, pattern in patterns:
        for path in sorted(directory.glob(pattern)) if directory and directory.is_dir() else ():
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class FlowRegistry:
    def __init__(self, flow_dir: Path, *, prompt_dir: Path | None) -> None:
        """`prompt_dir`: where `<language>/<name>.txt` prompts are checked; None skips that check."""
        self._flow_dir = flow_dir
        self._prompt_dir = prompt_dir
        self._good: dict[str, Flow] = {}  # file label -> last good version
        self._snapshot = FlowSet()
        self._seen: Fingerprint | None = None

    def snapshot(self) -> FlowSet:
        return self._snapshot

    def reload(self) -> list[FlowProblem]:
        """Read the directory again; keep what validates, the last good version of what does not."""
        self._seen = self._current_fingerprint()
        loaded = read_flow_dir(self._flow_dir)
        prompts = prompts_in(self._prompt_dir) if self._prompt_dir else None
        problems = {p for entry in loaded.values() for p in entry.problems}
        candidates = {label: flow for label, flow in self._good.items() if label in loaded}
        changed = set()
        for label, entry in loaded.items():
            good = self._good.get(label)
            if entry.flow is not None and not entry.problems and (good is None or good.version != entry.flow.version):
                candidates[label] = entry.flow
                changed.add(label)
        while True:
            found = validate_flows([candidates[label] for label in sorted(candidates)], prompts)
            problems.update(found)
            rejected = {p.file for p in found} & changed
            if not rejected and changed and found:
                rejected = set(changed)  # the changes broke files that did not change: keep the old set
            if not rejected:
                break
            for label in rejected:
                changed.discard(label)
                if label in self._good:
                    candidates[label] = self._good[label]
                else:
                    candidates.pop(label)
        self._commit(candidates)
        return sorted(problems)

    def _commit(self, candidates: dict[str, Flow]) -> None:
        self._good = candidates
        flows = {flow.name: flow for _, flow in sorted(candidates.items())}
        if {n: f.version for n, f in flows.items()} != {n: f.version for n, f in self._snapshot.flows.items()}:
            self._snapshot = FlowSet(MappingProxyType(flows), self._snapshot.generation + 1)
            log.info(
                "IVR flows loaded: %s", ", ".join(f"{f.name} ({f.version})" for f in flows.values()) or "none"
            )

    def _current_fingerprint(self) -> Fingerprint:
        return _fingerprint((self._flow_dir, "*.yaml"), (self._prompt_dir, "*/*.txt"))

    async def watch(self, interval: float = 2.0) -> None:
        """Poll the files' modification times; reload when they change. Runs until cancelled."""
        while True:
            await asyncio.sleep(interval)
            if self._current_fingerprint() == self._seen:
                continue
            for problem in self.reload():
                log.warning("IVR flow not loaded: %s", problem)
