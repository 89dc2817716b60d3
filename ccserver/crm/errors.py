"""What the CRM services raise. The API maps each to an HTTP problem; nothing here knows HTTP."""

from __future__ import annotations

from dataclasses import dataclass


class CrmError(Exception):
    """Base of the errors a caller is expected to handle."""


class NotFound(CrmError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} not found")
        self.what = what
        self.ident = ident


class VersionMismatch(CrmError):
    """Optimistic concurrency: the caller edited a version that is no longer current."""

    def __init__(self, *, current: int, expected: int) -> None:
        super().__init__(f"version {expected} is stale; the current version is {current}")
        self.current = current
        self.expected = expected


class Conflict(CrmError):
    """The change would break a uniqueness rule (e.g. an account number already in use)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    loc: tuple[str | int, ...]  # relative to the service's input, e.g. ("phones", 0, "number")
    msg: str


class InvalidInput(CrmError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = errors
