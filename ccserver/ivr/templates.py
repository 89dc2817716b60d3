"""`{name}` templates in flow files, and the names a flow can read.

A name is a variable (set by `set` or stored by `collect`), or one of the call's own values:
`caller.number`, `caller.e164`, `dialed`, `language`, `customer.<field>` (after a lookup found the
caller, e.g. `customer.tier`, `customer.custom_fields.plan`). Unknown or empty values render as "".
"""

from __future__ import annotations

import re
from collections.abc import Callable

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
BUILTINS = ("caller.number", "caller.e164", "dialed", "language")
RESERVED = ("caller", "customer", "dialed", "language")


def placeholders(template: str) -> list[str]:
    """The names a template reads; ValueError when its braces are not `{name}` pairs."""
    names = []
    for match in _PLACEHOLDER.finditer(template):
        if not _NAME.match(match[1]):
            raise ValueError(f"bad placeholder {match[0]!r} (use {{name}} or {{customer.field}})")
        names.append(match[1])
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        raise ValueError(f"unbalanced braces in {template!r}")
    return names


def is_known(name: str, variables: set[str]) -> bool:
    """Whether a flow set can ever give `name` a value (customer fields are not known in advance)."""
    return name in BUILTINS or name.startswith("customer.") or name in variables


def render(template: str, value_of: Callable[[str], str]) -> str:
    return _PLACEHOLDER.sub(lambda match: value_of(match[1]), template)
