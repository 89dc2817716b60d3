"""Just enough of Asterisk's config syntax to know what our files define, and on which line.

Sections (`[name]`, `[name](!)`, `[name](tpl1,tpl2)`, `[name](+)`), options (`key = value`,
`key => value`) and `#include` / `#tryinclude` lines. Asterisk itself is the real parser; the live
check loads the files into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SECTION = re.compile(r"^\[([^\]]+)\]\s*(?:\(([^)]*)\))?")
_INCLUDE = re.compile(r"^#(try)?include\s+\"?([^\"\s]+)\"?")
_OPTION = re.compile(r"^([^=\s][^=]*?)\s*=>?\s*(.*)$")


@dataclass
class Option:
    key: str
    value: str
    line: int


@dataclass
class Section:
    name: str
    line: int
    is_template: bool = False
    templates: list[str] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)

    def get(self, key: str) -> Option | None:
        found = [o for o in self.options if o.key == key]
        return found[-1] if found else None


@dataclass
class Include:
    target: str
    line: int
    optional: bool  # #tryinclude


@dataclass
class ConfFile:
    sections: list[Section] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)

    def named(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name]

    def resolve(self, section: Section, key: str, _depth: int = 0) -> Option | None:
        """`key` as Asterisk sees it in `section`: its own value, else the templates' (last one wins)."""
        own = section.get(key)
        if own is not None or _depth > 10:
            return own
        for template in reversed(section.templates):
            for base in reversed(self.named(template)):
                found = self.resolve(base, key, _depth + 1)
                if found is not None:
                    return found
        return None


def strip_comment(line: str) -> str:
    """Drop a `;` comment; `\\;` is a literal semicolon."""
    out = []
    i = 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append("\\;")
            i += 2
            continue
        if line[i] == ";":
            break
        out.append(line[i])
        i += 1
    return "".join(out).strip()


def parse_conf(text: str) -> ConfFile:
    conf = ConfFile()
    current: Section | None = None
    in_block_comment = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_block_comment:
            if "--;" in raw:
                in_block_comment = False
                raw = raw.split("--;", 1)[1]
            else:
                continue
        if ";--" in raw and "--;" not in raw.split(";--", 1)[1]:
            in_block_comment = True
            raw = raw.split(";--", 1)[0]
        line = strip_comment(raw)
        if not line:
            continue
        include = _INCLUDE.match(line)
        if include:
            conf.includes.append(Include(include.group(2), number, bool(include.group(1))))
            continue
        section = _SECTION.match(line)
        if section:
            flags = [f.strip() for f in (section.group(2) or "").split(",") if f.strip()]
            current = Section(
                name=section.group(1).strip(),
                line=number,
                is_template="!" in flags,
                templates=[f for f in flags if f not in ("!", "+")],
            )
            conf.sections.append(current)
            continue
        option = _OPTION.match(line)
        if option and current is not None:
            current.options.append(Option(option.group(1).strip(), option.group(2).strip(), number))
    return conf


def last_directive_line(text: str) -> tuple[int, str]:
    """(line number, text) of the last line that is neither blank nor only a comment."""
    last = (0, "")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = strip_comment(raw)
        if line:
            last = (number, line)
    return last
