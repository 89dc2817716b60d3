"""AMI URLs and frames: the parts of the wire format ccserver owns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccserver.asterisk.ami_frames import FrameSplitter, FrameStats, is_switch_event, parse_frame
from ccserver.asterisk.ami_url import parse_ami_url, parse_ami_urls
from ccserver.events.ami_fields import split_channel
from ccserver.events.journal_ids import JournalIds


def test_ami_url_carries_switch_id_and_percent_encoded_secret() -> None:
    endpoint = parse_ami_url("ami://ccserver:s%40cret%2C1@10.0.0.5:5039?switch=pbx-east")
    assert (endpoint.switch_id, endpoint.host, endpoint.port) == ("pbx-east", "10.0.0.5", 5039)
    assert endpoint.username == "ccserver" and endpoint.secret == "s@cret,1"
    assert "s@cret" not in repr(endpoint)


def test_switch_id_defaults_to_host_and_port() -> None:
    assert parse_ami_url("ami://u:p@pbx1").switch_id == "pbx1:5038"


@pytest.mark.parametrize("bad", ["http://u:p@h:5038", "ami://h:5038", "ami://u:p@h:5038,ami://u:p@h:5038"])
def test_bad_ami_urls_are_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_ami_urls(bad)


def test_frames_split_after_the_banner_and_repeated_headers_become_lists() -> None:
    splitter = FrameSplitter()
    data = b"Asterisk Call Manager/11.0.0\r\nEvent: VarSet\r\nChanVariable: a=1\r\nChanVariable: b=2\r\n\r\n"
    (frame,) = splitter.feed(data)
    assert splitter.banner == "Asterisk Call Manager/11.0.0"
    assert parse_frame(frame) == {"Event": "VarSet", "ChanVariable": ["a=1", "b=2"]}


def test_a_single_chanvariable_stays_a_plain_value_and_empty_values_are_kept() -> None:
    headers = parse_frame(b"Event: Newchannel\r\nChanVariable: x=1\r\nAccountCode: \r\nExten:")
    assert headers == {"Event": "Newchannel", "ChanVariable": "x=1", "AccountCode": "", "Exten": ""}


def test_oversized_frame_is_skipped_and_the_stream_resynchronises() -> None:
    stats = FrameStats()
    splitter = FrameSplitter(max_frame_bytes=1000, stats=stats)
    frames = splitter.feed(b"Asterisk Call Manager/11.0.0\r\n")
    frames += splitter.feed(b"Event: Big\r\nData: " + b"x" * 5000)
    frames += splitter.feed(b"\r\n\r\nEvent: After\r\n\r\n")
    assert [parse_frame(f)["Event"] for f in frames] == ["After"]
    assert stats.oversized >= 1


def test_bad_lines_and_bytes_are_counted_not_fatal() -> None:
    stats = FrameStats()
    headers = parse_frame(b"Event: Hangup\r\nthis line has no colon\r\nCallerIDName: Jos\xe9\r\n", stats)
    assert headers is not None and headers["CallerIDName"] == "Jos\ufffd"
    assert stats.malformed_lines == 1 and stats.undecodable == 1
    assert parse_frame(b"Hello: world", stats) is None and stats.not_ami == 1


def test_replies_to_our_actions_are_not_switch_events_but_originate_responses_are() -> None:
    assert is_switch_event({"Event": "Hangup"})
    assert not is_switch_event({"Event": "CoreShowChannel", "ActionID": "a1"})
    assert is_switch_event({"Event": "OriginateResponse", "ActionID": "a2"})
    assert not is_switch_event({"Response": "Success"})


@given(st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=50))
def test_splitting_is_independent_of_tcp_chunking(cuts: list[int]) -> None:
    stream = b"Asterisk Call Manager/11.0.0\r\n" + b"".join(
        f"Event: E{i}\r\nCallerIDName: Zoë {i}\r\n\r\n".encode() for i in range(20)
    )
    splitter, frames, at = FrameSplitter(), [], 0
    for cut in cuts * 20:
        frames += splitter.feed(stream[at : at + cut])
        at += cut
    frames += splitter.feed(stream[at:])
    assert [parse_frame(f)["CallerIDName"] for f in frames] == [f"Zoë {i}" for i in range(20)]


def test_journal_ids_increase_even_when_the_clock_stalls_or_steps_back() -> None:
    times = iter([100, 100, 90, 200, 300])
    ids = JournalIds(clock_us=lambda: next(times))
    assert [ids.next() for _ in range(4)] == [100, 101, 102, 200]
    ids.advance_past(500)
    assert ids.next() == 501


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("PJSIP/1001-0000002a", ("PJSIP", "1001")),
        ("PJSIP/carrier-trunk-00000003", ("PJSIP", "carrier-trunk")),
        ("Local/20102@sim-callee-00000004;1", ("Local", "20102@sim-callee")),
        ("Message/ast_msg_queue", ("Message", "ast_msg_queue")),
        ("", ("unknown", None)),
    ],
)
def test_channel_names_give_technology_and_endpoint(channel: str, expected: tuple[str, str | None]) -> None:
    assert split_channel(channel) == expected
