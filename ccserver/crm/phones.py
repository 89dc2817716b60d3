"""Phone numbers to E.164, the one form calls and contacts are matched on. Pure; no I/O."""

from __future__ import annotations

import re

import phonenumbers

# What people and switches actually write: digits, an optional leading "+", and separators.
# Letters (vanity numbers, "ext. 12", free text) are refused rather than guessed at.
_SEPARATORS = r"()\-. /\u00a0\u2010-\u2015"
_SHAPE = re.compile(rf"^\+?[0-9{_SEPARATORS}]+$")
_SEPARATOR = re.compile(rf"[{_SEPARATORS}]")
_MAX_LEN = 64
_E164_MAX_DIGITS = 15


def to_e164(raw: str, *, default_region: str) -> str | None:
    """`raw` in any common format as E.164 (`+14155550100`), or None if it cannot be a phone number.

    Accepts international ("+1 (415) 555-0100", "00 44 20 7946 0958"), national in `default_region`
    ("415.555.0100" with region US), RFC 3966 ("tel:+14155550100") and E.164 itself.
    """
    text = raw.strip()
    if text[:4].lower() == "tel:":
        text = text[4:].split(";", 1)[0]
    if not text or len(text) > _MAX_LEN or not _SHAPE.match(text):
        return None
    text = _SEPARATOR.sub("", text)
    if text.startswith("00"):
        # The common international prefix, even where the local exit code differs (011 in the US).
        text = "+" + text[2:]
    e164 = _parse(text, default_region.upper())
    # Only a fixpoint is E.164: a few degenerate inputs (all-zero national numbers) change on re-reading.
    if e164 is None or _parse(e164, "ZZ") != e164:
        return None
    return e164


def _parse(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # Length-based on purpose: caller-ids of unallocated ranges must still match a stored contact.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # E.164 caps a number at 15 digits; libphonenumber allows longer ones in a few regions.
    return e164 if len(e164) <= _E164_MAX_DIGITS + 1 else None
