"""Redaction of personal data in shopper text (pure: no Django).

Applied before a text reaches any model (the intent classifier, the encoder, the generator)
and to transcripts shown to anyone but the shopper and the assigned agent. What is replaced,
in this order (so an earlier kind is never re-read as a later one):

- e-mail addresses -> [email]
- payment card numbers: 13-19 digits, optionally grouped by spaces or dashes, that pass the
  Luhn check -> [card] (a digit run that fails the check is left alone: an order or
  tracking number is not a card)
- street addresses: a house number, up to four words and a street type ("12 Baker Street",
  "221b Elm Rd") -> [address]
- postcodes: UK ("SW1A 1AA"), Canadian ("K1A 0B1"), US ZIP after a state code ("CA 94105")
  or after the word zip/postcode/postal code -> [postcode]
- phone numbers: an optional +country code and 7-15 digits in groups separated by spaces,
  dots, dashes or parentheses, or a run of 10+ digits -> [phone]

Order numbers ("ORDER-000123", "DEMO-000045") keep their letters prefix, so they stay
readable; a bare run of fewer than ten digits is not a phone number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
CARD_CANDIDATE = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
STREET_TYPES = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|"
    "terrace|close|square|sq|crescent|highway|hwy|parkway|pkwy|strasse|straße|gardens|row|walk"
)
ADDRESS = re.compile(
    rf"\b\d{{1,5}}[a-z]?,?\s+(?:[A-Za-zÀ-ÿ'.-]+\s+){{0,3}}(?:{STREET_TYPES})\b\.?",
    re.IGNORECASE,
)
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE)
CA_POSTCODE = re.compile(r"\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b", re.IGNORECASE)
US_ZIP_AFTER_STATE = re.compile(r"(?<=\b[A-Z]{2}\s)\d{5}(?:-\d{4})?\b")
ZIP_AFTER_WORD = re.compile(
    r"(?P<word>\b(?:zip|zip code|postcode|post code|postal code)\b(?:\s+is)?[:\s]*)"
    r"(?P<code>[A-Z0-9][A-Z0-9 -]{2,9}[A-Z0-9])\b",
    re.IGNORECASE,
)
PHONE = re.compile(
    r"(?<![\w-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,6}){1,4}(?![\w-])"
    r"|(?<![\w-])\+?\d{10,15}(?![\w-])"
)

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

PLACEHOLDERS = ("[email]", "[card]", "[address]", "[postcode]", "[phone]")


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int]

    @property
    def changed(self) -> bool:
        return any(self.counts.values())


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum: from the right, double every second digit (subtracting 9 when the
    result exceeds 9); the number is valid when the sum is a multiple of 10."""
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def redact(text: str) -> Redaction:
    """`text` with personal data replaced by placeholders, and how many of each were found."""
    counts = {"email": 0, "card": 0, "address": 0, "postcode": 0, "phone": 0}

    def count(kind: str, placeholder: str):
        def replace(match: re.Match) -> str:
            counts[kind] += 1
            return placeholder

        return replace

    def card(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if luhn_valid(digits):
            counts["card"] += 1
            return "[card]"
        return match.group(0)

    def zip_after_word(match: re.Match) -> str:
        if not any(char.isdigit() for char in match.group("code")):
            return match.group(0)
        counts["postcode"] += 1
        return match.group("word") + "[postcode]"

    text = EMAIL.sub(count("email", "[email]"), text)
    text = CARD_CANDIDATE.sub(card, text)
    text = ADDRESS.sub(count("address", "[address]"), text)
    text = ZIP_AFTER_WORD.sub(zip_after_word, text)
    text = UK_POSTCODE.sub(count("postcode", "[postcode]"), text)
    text = CA_POSTCODE.sub(count("postcode", "[postcode]"), text)
    text = US_ZIP_AFTER_STATE.sub(count("postcode", "[postcode]"), text)
    text = PHONE.sub(_phone(counts), text)
    return Redaction(text=text, counts=counts)


def _phone(counts: dict[str, int]):
    def replace(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if not 7 <= len(digits) <= 15 or ISO_DATE.fullmatch(match.group(0)):
            return match.group(0)
        counts["phone"] += 1
        return "[phone]"

    return replace


def redact_text(text: str) -> str:
    return redact(text).text
