"""Typed reading of a composed YAML tree, keeping lines and reporting every problem with its line.

We read `yaml.compose()` nodes instead of `safe_load()` values: lines survive, duplicate keys are
seen (PyYAML silently keeps the last), and scalars keep their text (`1:` stays "1", `no` stays "no").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import yaml

from ccserver.ivr.flow_model import FlowProblem, Ref

T = TypeVar("T")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOLS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


class Reporter:
    """Collects the problems of one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[FlowProblem] = []

    def __call__(self, line: int, message: str) -> None:
        self.problems.append(FlowProblem(self.file, line, message))


def mapping_items(
    node: yaml.Node, what: str, report: Reporter, noun: str = "key"
) -> dict[str, tuple[int, yaml.Node]] | None:
    """A mapping's entries by key text, as key -> (key line, value node); duplicates are reported."""
    if not isinstance(node, yaml.MappingNode):
        report(line_of(node), f"{what}: expected a mapping")
        return None
    items: dict[str, tuple[int, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            report(line_of(key_node), f"{what}: keys must be plain text")
            continue
        key = key_node.value
        if key in items:
            report(line_of(key_node), f"{what}: duplicate {noun} {key!r} (first at line {items[key][0]})")
            continue
        items[key] = (line_of(key_node), value_node)
    return items


def scalar_text(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode) and node.tag != _NULL_TAG:
        return str(node.value)
    return None


class Fields:
    """One YAML mapping read by field name; `done()` reports the fields nobody asked for."""

    def __init__(self, node: yaml.Node, what: str, report: Reporter, line: int | None = None) -> None:
        """`line`: where to report missing fields (default: where the mapping starts)."""
        self.what = what
        self.report = report
        self.line = line or line_of(node)
        self.lines: dict[str, int] = {}
        self._count = len(report.problems)
        self._items = mapping_items(node, what, report) or {}
        self._used: set[str] = set()
        self._spoiled = False

    @property
    def ok(self) -> bool:
        return len(self.report.problems) == self._count and not self._spoiled

    def spoil(self) -> None:
        """Not usable, for a reason already reported elsewhere."""
        self._spoiled = True

    def at(self, key: str) -> str:
        return f"{self.what}: {key}" if self.what else key

    def has(self, key: str) -> bool:
        return key in self._items

    def keys(self) -> list[str]:
        return list(self._items)

    def node(self, key: str, required: bool = False) -> yaml.Node | None:
        self._used.add(key)
        if key not in self._items:
            if required:
                self.report(self.line, f"{self.what}: missing {key!r}" if self.what else f"missing {key!r}")
            return None
        _, value = self._items[key]
        self.lines[key] = line_of(value)
        return value

    def problem(self, key: str, message: str) -> None:
        self.report(self.lines.get(key, self.line), f"{self.at(key)}: {message}")

    def _scalar(self, key: str, required: bool, kind: str, read: Callable[[yaml.ScalarNode], T | None]) -> T | None:
        value = self.node(key, required)
        if value is None:
            return None
        result = read(value) if isinstance(value, yaml.ScalarNode) else None
        if result is None:
            got = f"got {value.value!r}" if isinstance(value, yaml.ScalarNode) else "got a list or mapping"
            self.problem(key, f"expected {kind}, {got}")
        return result

    def text(self, key: str, required: bool = False, pattern: re.Pattern[str] | None = None) -> str | None:
        value = self._scalar(key, required, "text", lambda n: None if n.tag == _NULL_TAG else str(n.value))
        if value is not None and pattern is not None and not pattern.match(value):
            self.problem(key, f"{value!r} is not a valid name")
            return None
        return value

    def choice(self, key: str, allowed: tuple[str, ...], required: bool = False) -> str | None:
        value = self.text(key, required)
        if value is not None and value not in allowed:
            self.problem(key, f"{value!r} is not one of {', '.join(allowed)}")
            return None
        return value

    def integer(self, key: str, low: int, high: int, required: bool = False) -> int | None:
        def read(node: yaml.ScalarNode) -> int | None:
            plain = node.tag == _INT_TAG and node.value.lstrip("-").isdigit()
            return int(node.value) if plain else None

        value = self._scalar(key, required, "a whole number", read)
        if value is not None and not low <= value <= high:
            self.problem(key, f"{value} is outside {low}-{high}")
            return None
        return value

    def number(self, key: str, low: float, high: float) -> float | None:
        def read(node: yaml.ScalarNode) -> float | None:
            return float(node.value) if node.tag in (_INT_TAG, _FLOAT_TAG) else None

        value = self._scalar(key, False, "a number of seconds", read)
        if value is not None and not low <= value <= high:
            self.problem(key, f"{value:g} is outside {low:g}-{high:g}")
            return None
        return value

    def flag(self, key: str) -> bool | None:
        def read(node: yaml.ScalarNode) -> bool | None:
            return _BOOLS.get(node.value.lower()) if node.tag == _BOOL_TAG else None

        return self._scalar(key, False, "true or false", read)

    def ref(self, key: str, required: bool = True) -> Ref | None:
        target = self.text(key, required)
        return Ref(target, self.lines[key]) if target is not None else None

    def texts(self, key: str, required: bool = False) -> tuple[str, ...] | None:
        """One text or a list of texts."""
        value = self.node(key, required)
        if value is None:
            return None
        items = value.value if isinstance(value, yaml.SequenceNode) else [value]
        texts = [scalar_text(item) for item in items]
        if any(text is None for text in texts):
            self.problem(key, "expected a name or a list of names")
            return None
        return tuple(text for text in texts if text is not None)

    def sub(self, key: str, required: bool = False) -> Fields | None:
        value = self.node(key, required)
        return Fields(value, self.at(key), self.report) if value is not None else None

    def done(self) -> None:
        for key in sorted(self._items.keys() - self._used, key=lambda k: self._items[k][0]):
            self.report(self._items[key][0], f"{self.what + ': ' if self.what else ''}unknown field {key!r}")
