"""FastAGI wire format: request headers, command lines, reply lines (no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccserver.asterisk.agi_wire import (
    MAX_COMMAND_BYTES,
    AgiReply,
    BadRequest,
    build_command,
    not_utf8,
    parse_headers,
    parse_reply,
    parse_request,
)


@pytest.mark.parametrize(
    ("line", "code", "result", "data", "extras"),
    [
        ("200 result=1", 200, "1", "", {}),
        ("200 result=12 (timeout)", 200, "12", "timeout", {}),
        ("200 result= (timeout)", 200, "", "timeout", {}),
        ("200 result=", 200, "", "", {}),
        ("200 result=-1", 200, "-1", "", {}),
        ("200 result=0 endpos=8000", 200, "0", "", {"endpos": "8000"}),
        ("200 result=35 (dtmf) endpos=16000", 200, "35", "dtmf", {"endpos": "16000"}),
        ("200 result=1 (José (VIP) Martín)", 200, "1", "José (VIP) Martín", {}),
        ("200 result=-1 Gosub label not found", 200, "-1", "Gosub label not found", {}),
        ("510 Invalid or unknown command", 510, "", "Invalid or unknown command", {}),
        ("511 Command Not Permitted on a dead channel or intercept routine", 511, "",
         "Command Not Permitted on a dead channel or intercept routine", {}),
        ("520-Invalid command syntax.  Proper usage follows:", 520, "",
         "Invalid command syntax.  Proper usage follows:", {}),
    ],
)
def test_asterisk_replies_parse_into_code_result_data_and_extras(
    line: str, code: int, result: str, data: str, extras: dict[str, str]
) -> None:
    assert parse_reply(line) == AgiReply(code, result, data, extras, line)


@pytest.mark.parametrize("line", ["hello", "GET / HTTP/1.1", "2000 result=1", "200 something", ""])
def test_lines_that_are_not_replies_are_refused(line: str) -> None:
    with pytest.raises(ValueError):
        parse_reply(line)


def test_flow_name_and_parameters_come_from_the_network_script() -> None:
    request = parse_request({
        "agi_network": "yes",
        "agi_network_script": "inbound?switch=pbx1&linkedid=1700000000.12",
        "agi_request": "agi://127.0.0.1:4573/inbound?switch=pbx1&linkedid=1700000000.12",
        "agi_callerid": "unknown",
        "agi_arg_1": "sales",
        "agi_arg_2": "",
        "agi_arg_4": "not after a gap",
    })
    assert request.path == "inbound"
    assert request.params == {"switch": "pbx1", "linkedid": "1700000000.12"}
    assert request.args == ["sales", ""]
    assert request.header("agi_callerid") == ""  # Asterisk's "unknown"


def test_without_network_script_the_request_url_path_names_the_flow() -> None:
    request = parse_request({"agi_request": "agi://10.0.0.5/ivr/main%20menu?lang=fr"})
    assert (request.path, request.params) == ("ivr/main menu", {"lang": "fr"})
    assert parse_request({"agi_request": "agi://10.0.0.5"}).path == ""


def test_headers_without_a_request_are_refused() -> None:
    with pytest.raises(BadRequest) as refused:
        parse_request({"agi_channel": "PJSIP/x"})
    assert refused.value.reason == "no_request"


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        (b"agi_request: agi://h/x\nGET / HTTP/1.1\n\n", "not_agi"),
        (b"agi_request: agi://h/x\nagi_callerid\n\n", "not_agi"),
        (b"agi_bad name: x\n\n", "not_agi"),
        (b"agi_request: agi://h/x\n\nagi_x: y\n\n", "not_agi"),
    ],
)
def test_header_blocks_with_anything_but_agi_lines_are_refused_with_a_reason(block: bytes, reason: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_headers(block)
    assert refused.value.reason == reason


def test_a_latin1_caller_name_is_kept_with_a_replacement_character_not_refused() -> None:
    block = b"agi_request: agi://h/x\nagi_calleridname: Jos\xe9\n\n"
    assert not_utf8(block)
    assert parse_headers(block)["agi_calleridname"] == "Jos\ufffd"


def test_header_values_keep_utf8_and_may_be_empty() -> None:
    block = "agi_calleridname: José Martín\nagi_accountcode: \nagi_arg_1: a: b\n\n".encode()
    assert parse_headers(block) == {"agi_calleridname": "José Martín", "agi_accountcode": "", "agi_arg_1": "a: b"}


def test_commands_quote_only_what_needs_it() -> None:
    assert build_command("STREAM FILE", "welcome", "") == b'STREAM FILE welcome ""\n'
    assert build_command("GET DATA", "ivr/menu", 5000, 1) == b"GET DATA ivr/menu 5000 1\n"
    assert build_command("SET VARIABLE", "NAME", 'Jo "Jr" \\') == b'SET VARIABLE NAME "Jo \\"Jr\\" \\\\"\n'


@pytest.mark.parametrize("value", ["a\nHANGUP", "a\rb", "a\0b"])
def test_a_value_can_never_start_another_command(value: str) -> None:
    with pytest.raises(ValueError):
        build_command("SET VARIABLE", "CRM_NAME", value)


def test_commands_longer_than_asterisk_reads_are_refused() -> None:
    build_command("SET VARIABLE", "X", "a" * (MAX_COMMAND_BYTES - 20))
    with pytest.raises(ValueError):
        build_command("SET VARIABLE", "X", "a" * MAX_COMMAND_BYTES)


def _asterisk_parse_args(line: str) -> list[str]:
    """res_agi.c parse_args(), transcribed: blanks split, '"' toggles quoting, '\\' escapes."""
    args: list[str] = []
    current: list[str] | None = None
    quoted = escaped = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if quoted and current is None:
                current = []
            continue
        if ch in " \t" and not quoted and not escaped:
            if current is not None:
                args.append("".join(current))
                current = None
            continue
        if ch == "\\" and not escaped:
            escaped = True
            continue
        if current is None:
            current = []
        current.append(ch)
        escaped = False
    if current is not None:
        args.append("".join(current))
    return args


_ARGUMENT_TEXT = st.characters(exclude_characters="\r\n\0", exclude_categories=["Cs"])  # Cs: not UTF-8


@given(st.lists(st.text(alphabet=_ARGUMENT_TEXT, max_size=30), max_size=5))
def test_asterisk_reads_back_exactly_the_arguments_we_send(args: list[str]) -> None:
    line = build_command("EXEC", *args).decode().removesuffix("\n")
    assert _asterisk_parse_args(line) == ["EXEC", *args]
