"""FastAGI wire format: the request headers Asterisk sends first, the command lines we send, the reply
lines it answers. Pure functions, no I/O; `agi_session` and `agi_server` do the reading and writing.

What Asterisk's res_agi does, and this module follows:
- headers: `agi_<name>: <value>` lines (`agi_network`, `agi_network_script`, `agi_request`, `agi_channel`,
  ..., `agi_arg_<n>`), ended by a blank line; "unknown" stands for an absent caller ID, DNID or RDNIS;
- commands: one line each, arguments split on blanks, `"` quotes, `\\` escapes; read with fgets into a
  2048-byte buffer, so a longer line would be cut and its tail run as a second command (refused here);
- replies: `200 result=<value> [(<data>)] [key=value ...]`, e.g. `200 result=12 (timeout)`,
  `200 result= (timeout)`, `200 result=1 (the value)`, `200 result=0 endpos=8000`; `510 Invalid or
  unknown command`; `511 Command Not Permitted on a dead channel`; a multi-line usage reply
  `520-Invalid command syntax.  Proper usage follows:` ... `520 End of proper usage.`; and `HANGUP`
  sent on its own when the caller hangs up.

panoramisk's `parse_agi_result` is not used: it loses the `(timeout)` of an empty GET DATA result
(`200 result= (timeout)` parses like `200 result=`), turns every `result=-1` into an error without its
data, and its reader takes one line of a multi-line 520 reply, leaving the rest to be read as the
replies of the next commands.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

MAX_COMMAND_BYTES = 2047  # res_agi's AGI_BUF_LEN (2048) including the newline
UNKNOWN = "unknown"  # what res_agi sends for an absent caller ID, DNID or RDNIS

# Short reasons a connection is refused before any handler runs (metric labels and log lines).
REJECT_REASONS = ("eof", "truncated", "timeout", "too_large", "not_agi", "no_request")


class BadRequest(Exception):
    """The peer did not open with AGI request headers; `reason` is one of REJECT_REASONS."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


HEADERS_START = b"agi_"  # the first bytes of every request: anything else is refused at once
HEADERS_END = b"\n\n"


def parse_headers(block: bytes) -> dict[str, str]:
    """The header block, up to and including its blank line -> {"agi_name": "value"}. Decoded whole, so
    a UTF-8 caller name is never cut in two. Anything but agi_* lines is a BadRequest.

    Bytes that are not UTF-8 (a carrier's Latin-1 caller name) become U+FFFD, as on the AMI link: the
    caller still reaches the IVR; `not_utf8(block)` tells the server to log it."""
    text = block.decode("utf-8", "replace")
    headers = _HEADER.findall(text)
    if len(headers) != text.count("\n") - 1:  # a line that is not a header (the block ends "\n\n")
        line = next(line for line in text.split("\n") if not _HEADER.fullmatch(line + "\n"))
        raise BadRequest("not_agi", f"line {line[:60]!r} is not an agi_* header")
    return dict(headers)


def not_utf8(block: bytes) -> bool:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


_HEADER = re.compile(r"^(agi_\w+): ?([^\r\n]*)\r?\n", re.M | re.A)


@dataclass(slots=True)
class AgiRequest:
    """What Asterisk told us about the call when it opened the connection."""

    headers: dict[str, str]
    path: str  # the flow name: `agi://host:port/<path>?<params>`, without the leading slash
    params: dict[str, str]
    args: list[str]  # agi_arg_1, agi_arg_2, ... (AGI(url,arg1,arg2) in the dialplan)

    def header(self, name: str) -> str:
        """A header's value; "" when absent or when Asterisk sent "unknown"."""
        value = self.headers.get(name, "")
        return "" if value == UNKNOWN else value


def parse_request(headers: Mapping[str, str]) -> AgiRequest:
    """The flow path and parameters come from `agi_network_script` (what follows the host in the AGI()
    URL), else from the path of `agi_request`."""
    if "agi_request" not in headers and "agi_network_script" not in headers:
        raise BadRequest("no_request", "no agi_request header")
    script = headers.get("agi_network_script")
    if script is None:
        parts = urlsplit(headers["agi_request"])
        path, query = parts.path, parts.query
    else:
        path, _, query = script.partition("?")
    args = []
    n = 1
    while (arg := headers.get(f"agi_arg_{n}")) is not None:
        args.append(arg)
        n += 1
    return AgiRequest(
        headers=dict(headers), path=unquote(path).strip("/"), params=dict(parse_qsl(query)), args=args
    )


_NO_EXTRAS: Mapping[str, str] = MappingProxyType({})


class AgiReply(NamedTuple):  # a tuple: made once per command, on the hot path
    """One reply. For 200: `result` is the text after `result=`, `data` the text in parentheses (or the
    free text after the result), `extras` the key=value pairs (e.g. endpos). For other codes: `data` is
    the message (for 520, then a newline and the usage text)."""

    code: int
    result: str = ""
    data: str = ""
    extras: Mapping[str, str] = _NO_EXTRAS
    line: str = ""


_REPLY = re.compile(r"(\d{3})(?:[ -](.*))?\Z", re.S)
_RESULT = re.compile(r"result=(\S*)(.*)\Z", re.S)
_TAIL = re.compile(r"\s*(?:\((.*)\))?((?:\s*[A-Za-z_]\w*=\S*)*)\s*\Z", re.S)
_EXTRA = re.compile(r"([A-Za-z_]\w*)=(\S*)")


def parse_reply(line: str) -> AgiReply:
    """One reply line (without its newline). ValueError when it is not one."""
    if line.startswith("200 result=") and " " not in line[11:]:  # the common case, kept cheap
        return AgiReply(200, line[11:], line=line)
    match = _REPLY.match(line)
    if match is None:
        raise ValueError(f"not an AGI reply: {line[:80]!r}")
    code, rest = int(match[1]), match[2] or ""
    if code != 200:
        return AgiReply(code, data=rest.strip(), line=line)
    result = _RESULT.match(rest)
    if result is None:
        raise ValueError(f"AGI 200 reply without result=: {line[:80]!r}")
    value, tail = result[1], result[2]
    tail_match = _TAIL.match(tail)
    if tail_match is None:  # free text, e.g. "200 result=-1 Gosub label not found"
        return AgiReply(200, value, tail.strip(), line=line)
    extras = dict(_EXTRA.findall(tail_match[2])) if tail_match[2] else _NO_EXTRAS
    return AgiReply(200, value, tail_match[1] or "", extras, line)


_NEEDS_QUOTES = re.compile(r"[\s\"\\]")
_LINE_BREAKS = re.compile(r"[\r\n\0]")


def quote(arg: str) -> str:
    """An argument as res_agi's parser reads it back: bare when it can be, else in double quotes with
    `"` and `\\` escaped. The empty string becomes `""` (e.g. no escape digits)."""
    if arg and _NEEDS_QUOTES.search(arg) is None:
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_command(verb: str, *args: str | int) -> bytes:
    """`build_command("STREAM FILE", "welcome", "")` -> b'STREAM FILE welcome ""\\n'.

    ValueError when an argument holds a line break (it would start another command: a caller name or
    CRM value must never be able to do that) or the line is longer than Asterisk reads."""
    return encode_command(" ".join([verb, *(quote(a) if isinstance(a, str) else str(a) for a in args)]))


def encode_command(line: str) -> bytes:
    """A complete command line (verb and arguments, already quoted) as bytes to send."""
    if _LINE_BREAKS.search(line):
        raise ValueError(f"AGI command with a line break or NUL: {line[:40]!r}")
    data = line.encode("utf-8") + b"\n"
    if len(data) > MAX_COMMAND_BYTES:
        raise ValueError(f"AGI command of {len(data)} bytes; Asterisk reads at most {MAX_COMMAND_BYTES}")
    return data
