"""Does the database hold exactly what the offline normaliser says it should?"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from ccserver.bench.trace import Expectation, comparable
from ccserver.crm.journal_rows import CALL_COLUMNS, EVENT_COLUMNS, LEG_COLUMNS

# Compared as they are; id and received_at are arrival-time values, occurred_at is checked via raw.
_EVENT_FIELDS = ("switch_id", "call_id", "leg_id", "event", "uniqueid", "linkedid")


def _event_key(row: Any, *, ignore_times: bool) -> tuple[Any, ...]:
    raw = orjson.loads(row[EVENT_COLUMNS.index("raw")])
    if ignore_times:
        raw.pop("Timestamp", None)
    fields = tuple(row[EVENT_COLUMNS.index(name)] for name in _EVENT_FIELDS)
    occurred = None if ignore_times else row[EVENT_COLUMNS.index("occurred_at")]
    return (*fields, occurred, sorted(raw.items()))


async def check_database(dsn: str, expected: Expectation, *, ignore_times: bool) -> tuple[str, list[str]]:
    """A one-line summary and the problems found (none when the journal, calls and legs all match)."""
    conn = await asyncpg.connect(dsn)
    try:
        events = await conn.fetch(f"SELECT {', '.join(EVENT_COLUMNS)} FROM call_events ORDER BY id")
        calls = await conn.fetch(f"SELECT {', '.join(CALL_COLUMNS)} FROM calls")
        legs = await conn.fetch(f"SELECT {', '.join(LEG_COLUMNS)} FROM legs")
    finally:
        await conn.close()
    problems = compare_events(events, expected.events, ignore_times=ignore_times)
    problems += compare_rows("calls", calls, expected.calls, CALL_COLUMNS, ignore_times=ignore_times)
    problems += compare_rows("legs", legs, expected.legs, LEG_COLUMNS, ignore_times=ignore_times)
    summary = (
        f"{len(events):,} journal rows in arrival order, none missing or twice; "
        f"{len(calls):,} calls and {len(legs):,} legs equal to the offline normaliser"
    )
    return summary, problems


def compare_events(
    stored: list[Any], expected: list[tuple[Any, ...]], *, ignore_times: bool
) -> list[str]:
    problems = []
    if len(stored) != len(expected):
        problems.append(f"journal holds {len(stored)} rows, expected {len(expected)}")
    ids = [r[0] for r in stored]
    if any(b <= a for a, b in zip(ids, ids[1:], strict=False)):
        problems.append("journal ids are not strictly increasing")
    for position, (got, want) in enumerate(zip(stored, expected, strict=False)):
        if _event_key(got, ignore_times=ignore_times) != _event_key(want, ignore_times=ignore_times):
            problems.append(f"journal row {position} (id {got[0]}) is {got['event']}, expected {want[4]} "
                            f"(first difference in order)")
            break
    return problems


def compare_rows(
    table: str, stored: list[Any], expected: dict[Any, tuple[Any, ...]], columns: tuple[str, ...], *,
    ignore_times: bool,
) -> list[str]:
    got = {r["id"]: comparable(tuple(r), columns, ignore_times=ignore_times) for r in stored}
    want = {k: comparable(v, columns, ignore_times=ignore_times) for k, v in expected.items()}
    problems = []
    if len(stored) != len(got):
        problems.append(f"{table}: {len(stored) - len(got)} duplicate ids")
    if got.keys() != want.keys():
        problems.append(f"{table}: {len(got.keys() - want.keys())} unexpected, {len(want.keys() - got.keys())} missing")
    differing = [k for k in got.keys() & want.keys() if got[k] != want[k]]
    if differing:
        k = differing[0]
        diff = [(c, g, w) for c, g, w in zip(columns, got[k], want[k], strict=True) if g != w]
        problems.append(f"{table}: {len(differing)} rows differ, e.g. {k}: {diff}")
    return problems
