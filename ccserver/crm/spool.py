"""The on-disk overflow of the journal while PostgreSQL is away.

Each spilled batch is one file, written to a temporary name, fsynced, then renamed, so a crash leaves
either the whole batch or nothing. Files sort in journal order by name. The spool belongs to this
ccserver alone (pickle: rows hold UUIDs and datetimes exactly as asyncpg wants them back).
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RowBatch:
    events: list[tuple[Any, ...]]
    calls: list[tuple[Any, ...]]
    legs: list[tuple[Any, ...]]
    bridges: list[tuple[Any, ...]]
    ivr_sessions: list[tuple[Any, ...]] = field(default_factory=list)
    retried: bool = False  # written before with an unclear result: store with ON CONFLICT DO NOTHING

    @property
    def first_id(self) -> int:
        return self.events[0][0] if self.events else 0


class SpoolFull(OSError):
    pass


class Spool:
    """`max_bytes` bounds the disk it may use: past it, `write` refuses with `SpoolFull`."""

    def __init__(self, directory: Path, *, max_bytes: int = 2 * 1024**3) -> None:
        self.directory = directory
        self.max_bytes = max_bytes

    def size_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.files())

    def _ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("journal-*.batch"))

    def write(self, batch: RowBatch) -> Path:
        if self.size_bytes() >= self.max_bytes:
            raise SpoolFull(f"spool {self.directory} holds {self.max_bytes} bytes or more")
        self._ensure()
        final = self.directory / f"journal-{batch.first_id:020d}.batch"
        temporary = final.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            pickle.dump(batch, handle, protocol=pickle.HIGHEST_PROTOCOL)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        return final

    @staticmethod
    def read(path: Path) -> RowBatch:
        with open(path, "rb") as handle:
            batch: RowBatch = pickle.load(handle)
        batch.retried = True  # it may have been half-written to the database before a crash
        return batch

    @staticmethod
    def remove(path: Path) -> None:
        path.unlink(missing_ok=True)
