"""The two indexes that keep one routing event far cheaper than scanning every agent against every call.

`FreeAgents`: agents that can take a call now, by skill. A call's candidates are the free agents
holding its rarest-among-free required skill (per alternative group); only those are checked.

`WaitingCalls`: waiting calls in buckets of identical requirements, each bucket a heap in call order
(rank, then longest waiting). A bucket is listed under one key skill per group, the skill the fewest
agents have. An agent becoming free only looks at buckets listed under its own skills (and the
buckets with a group of no skills), and in each, only at the head: every call in a bucket needs the
same, so if the agent qualifies for one it qualifies for all.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from ccserver.routing.requirements import Requirements, satisfies
from ccserver.routing.strategies import CallKey


class FreeAgents:
    def __init__(self) -> None:
        self.all: dict[str, None] = {}
        self._by_skill: dict[str, dict[str, None]] = {}

    def __contains__(self, agent_id: str) -> bool:
        return agent_id in self.all

    def __len__(self) -> int:
        return len(self.all)

    def add(self, agent_id: str, skills: Mapping[str, int]) -> None:
        if agent_id in self.all:
            return
        self.all[agent_id] = None
        for skill in skills:
            self._by_skill.setdefault(skill, {})[agent_id] = None

    def remove(self, agent_id: str, skills: Mapping[str, int]) -> None:
        if agent_id in self.all:
            del self.all[agent_id]
            for skill in skills:
                holders = self._by_skill[skill]
                del holders[agent_id]
                if not holders:
                    del self._by_skill[skill]

    def candidates(self, needs: Requirements) -> tuple[list[str], list[str]]:
        """Free agents that might meet `needs` (a superset of those that do), and the key skill per group."""
        pools: list[dict[str, None]] = []
        keys: list[str] = []
        for group in needs:
            if not group:
                return list(self.all), []
            key = min((skill for skill, _ in group), key=lambda s: len(self._by_skill.get(s, ())))
            keys.append(key)
            pools.append(self._by_skill.get(key, {}))
        if len(pools) == 1:
            return list(pools[0]), keys
        merged: dict[str, None] = {}
        for pool in pools:
            merged.update(pool)
        return list(merged), keys


@dataclass(slots=True)
class _Bucket:
    needs: Requirements
    keys: tuple[str, ...]  # one key skill per group; empty when a group needs no skill
    heap: list[tuple[CallKey, int]] = field(default_factory=list)
    live: int = 0


class WaitingCalls:
    """Waiting call ids by requirements. `rarity(skill)` says how many agents have a skill (for key choice)."""

    def __init__(self, rarity: Callable[[str], int]) -> None:
        self._rarity = rarity
        self._buckets: dict[Requirements, _Bucket] = {}
        self._by_skill: dict[str, dict[Requirements, _Bucket]] = {}
        self._open: dict[Requirements, _Bucket] = {}  # buckets any agent qualifies for
        self._entries: dict[str, tuple[_Bucket, int]] = {}  # call id -> its bucket and live version
        self._version = 0

    def __contains__(self, call_id: str) -> bool:
        return call_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, call_id: str, needs: Requirements, key: CallKey) -> None:
        self.remove(call_id)
        bucket = self._buckets.get(needs)
        if bucket is None:
            bucket = self._new_bucket(needs)
        self._version += 1
        heapq.heappush(bucket.heap, (key, self._version))
        bucket.live += 1
        self._entries[call_id] = (bucket, self._version)

    def remove(self, call_id: str) -> None:
        entry = self._entries.pop(call_id, None)
        if entry is None:
            return
        bucket = entry[0]
        bucket.live -= 1
        if not bucket.live:
            del self._buckets[bucket.needs]
            if not bucket.keys:
                del self._open[bucket.needs]
            for key in bucket.keys:
                listed = self._by_skill[key]
                del listed[bucket.needs]
                if not listed:
                    del self._by_skill[key]

    def best_for(self, skills: Mapping[str, int]) -> CallKey | None:
        """The first call, in call order, that an agent with `skills` qualifies for."""
        best: CallKey | None = None
        for bucket in self._reachable(skills):
            if satisfies(skills, bucket.needs):
                head = self._head(bucket)
                if best is None or head < best:
                    best = head
        return best

    def _reachable(self, skills: Mapping[str, int]) -> Iterator[_Bucket]:
        yield from self._open.values()
        seen: set[int] = set()
        for skill in skills:
            for bucket in self._by_skill.get(skill, {}).values():
                if len(bucket.keys) == 1:
                    yield bucket
                elif id(bucket) not in seen:
                    seen.add(id(bucket))
                    yield bucket

    def _head(self, bucket: _Bucket) -> CallKey:
        heap = bucket.heap
        while True:
            key, version = heap[0]
            entry = self._entries.get(key[2])
            if entry is not None and entry[1] == version:
                return key
            heapq.heappop(heap)

    def _new_bucket(self, needs: Requirements) -> _Bucket:
        keys = () if any(not group for group in needs) else tuple(
            dict.fromkeys(min((s for s, _ in group), key=lambda s: (self._rarity(s), s)) for group in needs)
        )
        bucket = self._buckets[needs] = _Bucket(needs, keys)
        if not keys:
            self._open[needs] = bucket
        for key in keys:
            self._by_skill.setdefault(key, {})[needs] = bucket
        return bucket
