"""Detectors of personal data in free text (pure: no Django).

Used to keep personal data out of log output (`RedactingFormatter`) and by the tests that
scan what the suite logs. Two kinds are recognised, both with few false positives:

- e-mail addresses;
- payment card numbers: 13-19 digits, optionally grouped by single spaces or dashes, that
  pass the Luhn check (order and tracking numbers almost never do).
"""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
CARD_CANDIDATE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")


def luhn_valid(digits: str) -> bool:
    """The Luhn check: doubling every second digit from the right, the digit sum is 0 mod 10."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """The card-like numbers in `text` (digits only)."""
    found = []
    for match in CARD_CANDIDATE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(digits)
    return found


def personal_data_in(text: str) -> list[str]:
    """The e-mail addresses and card-like numbers found in `text`."""
    return EMAIL.findall(text) + card_numbers(text)


def redact(text: str) -> str:
    """`text` with e-mail addresses replaced by [email] and card-like numbers by [card]."""
    text = EMAIL.sub("[email]", text)

    def _card(match: re.Match) -> str:
        digits = re.sub(r"[ -]", "", match.group())
        return "[card]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group()

    return CARD_CANDIDATE.sub(_card, text)


class RedactingFormatter(logging.Formatter):
    """Formats a record, then redacts e-mail addresses and card numbers from the text (a second
    line of defence: code should not log personal data in the first place, and tests/privacy
    checks that). The record itself is left alone, so other handlers see what was logged."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
