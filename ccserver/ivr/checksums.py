"""Check digits a caller's entry must carry (account numbers, card numbers)."""

from __future__ import annotations


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check: the last digit makes the doubled-alternate sum a multiple of 10."""
    if len(digits) < 2 or not digits.isdigit():
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def luhn_check_digit(payload: str) -> str:
    total = 0
    for position, char in enumerate(reversed(payload)):
        value = int(char)
        if position % 2 == 0:  # doubled: the digit next to the check digit, then every other one
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str(-total % 10)


def mod11_valid(digits: str) -> bool:
    """Weighted mod 11: weights 2..7 repeating from the right of the payload; check digit
    (11 - sum % 11) % 11, where a result of 10 has no digit, so such payloads are never issued."""
    if len(digits) < 2 or not digits.isdigit():
        return False
    return mod11_check_digit(digits[:-1]) == digits[-1]


def mod11_check_digit(payload: str) -> str | None:
    total = sum(int(char) * (2 + position % 6) for position, char in enumerate(reversed(payload)))
    check = -total % 11
    return None if check == 10 else str(check)


CHECKS = {"luhn": luhn_valid, "mod11": mod11_valid}
