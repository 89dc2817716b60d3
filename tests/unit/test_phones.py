"""to_e164: every common way of writing a number lands on the one E.164 form we match callers on."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccserver.crm.phones import to_e164

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
REGIONS = sorted(r for r in phonenumbers.SUPPORTED_REGIONS if phonenumbers.example_number(r) is not None)
PhoneFormat = phonenumbers.PhoneNumberFormat


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 (415) 555-0100", "US", "+14155550100"),
        ("415.555.0100", "US", "+14155550100"),
        ("(415) 555 0100", "US", "+14155550100"),
        ("4155550100", "US", "+14155550100"),
        ("1-415-555-0100", "US", "+14155550100"),
        ("+14155550100", "GB", "+14155550100"),
        ("tel:+14155550100", "US", "+14155550100"),
        ("TEL:+1-415-555-0100;phone-context=example.com", "FR", "+14155550100"),
        ("00 44 20 7946 0958", "US", "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "gb", "+442079460958"),
        ("  +44 20 7946 0958  ", "US", "+442079460958"),
        ("+33 1 23 45 67 89", "US", "+33123456789"),
        ("01 23 45 67 89", "FR", "+33123456789"),
    ],
)
def test_common_formats_become_e164(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, default_region=region) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "+",
        "hello",
        "anonymous",
        "1001",
        "0",
        "+999 123",
        "+1 415 555 01000000",
        "1-800-FLOWERS",
        "415 555 0100 ext. 12",
        "4155550100\x00",
        "+1 415 555 0100 <script>",
        "9" * 80,
    ],
)
def test_what_cannot_be_a_number_is_none(raw: str) -> None:
    assert to_e164(raw, default_region="US") is None


def test_longer_than_e164_allows_is_none() -> None:
    # libphonenumber accepts 16-digit numbers in Indonesia; E.164 stops at 15 digits.
    assert to_e164("10000000000000", default_region="ID") is None


def test_degenerate_all_zero_numbers_are_none() -> None:
    # libphonenumber reads "+200000000000" as Egypt with national number 0, which does not round-trip.
    assert to_e164("+200000000000", default_region="US") is None


def test_national_format_depends_on_the_default_region() -> None:
    assert to_e164("020 7946 0958", default_region="US") is None
    assert to_e164("020 7946 0958", default_region="GB") == "+442079460958"


@given(raw=st.text(max_size=40), region=st.sampled_from(REGIONS))
def test_result_is_none_or_e164_and_idempotent(raw: str, region: str) -> None:
    result = to_e164(raw, default_region=region)
    if result is None:
        return
    assert E164.match(result), result
    assert to_e164(result, default_region=region) == result
    # E.164 carries its country code, so reading it back does not depend on the region.
    assert to_e164(result, default_region="US") == result


@st.composite
def punctuated(draw: st.DrawFn) -> tuple[str, str]:
    """A run of digits, and the same digits with separators sprinkled between them."""
    plus = draw(st.sampled_from(["", "+"]))
    digits = draw(st.text(alphabet="0123456789", min_size=7, max_size=15))
    seps = draw(
        st.lists(st.sampled_from(["", " ", "-", ".", "/"]), min_size=len(digits), max_size=len(digits))
    )
    return plus + digits, plus + "".join(d + s for d, s in zip(digits, seps, strict=True)).rstrip(" ")


@given(pair=punctuated(), region=st.sampled_from(REGIONS))
def test_separators_never_change_the_result(pair: tuple[str, str], region: str) -> None:
    plain, dressed = pair
    result = to_e164(dressed, default_region=region)
    assert result == to_e164(plain, default_region=region)
    if result is not None:
        assert E164.match(result)
        assert to_e164(result, default_region=region) == result


@given(region=st.sampled_from(REGIONS), fmt=st.sampled_from(["intl", "national", "rfc3966", "e164", "00"]))
def test_every_rendering_of_a_real_number_maps_to_the_same_e164(region: str, fmt: str) -> None:
    number = phonenumbers.example_number(region)
    expected = phonenumbers.format_number(number, PhoneFormat.E164)
    rendered = {
        "intl": lambda: phonenumbers.format_number(number, PhoneFormat.INTERNATIONAL),
        "national": lambda: phonenumbers.format_number(number, PhoneFormat.NATIONAL),
        "rfc3966": lambda: phonenumbers.format_number(number, PhoneFormat.RFC3966),
        "e164": lambda: expected,
        "00": lambda: "00" + expected[1:],
    }[fmt]()
    assert to_e164(rendered, default_region=region) == expected


@given(
    raw=st.sampled_from(["+1 (415) 555-0100", "+44 20 7946 0958", "tel:+33123456789"]),
    region=st.sampled_from(REGIONS),
)
def test_international_input_ignores_the_default_region(raw: str, region: str) -> None:
    assert to_e164(raw, default_region=region) == to_e164(raw, default_region="US")
