"""PII redaction on constructed texts: what is replaced, and what must stay readable."""

import pytest

from support.redaction import luhn_valid, redact, redact_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me at jane.doe+shop@example.co.uk please", "Mail me at [email] please"),
        ("Call +44 20 7946 0958 after 5", "Call [phone] after 5"),
        ("my mobile is 07700 900123", "my mobile is [phone]"),
        ("ring 555-123-4567", "ring [phone]"),
        ("(030) 1234 5678 is my number", "[phone] is my number"),
        ("Card 4111 1111 1111 1111 was charged", "Card [card] was charged"),
        ("card 5500-0000-0000-0004", "card [card]"),
        ("Deliver to 221b Baker Street, London NW1 6XE", "Deliver to [address], London [postcode]"),
        ("1600 Pennsylvania Ave, Washington DC 20500", "[address], Washington DC [postcode]"),
        ("12 Elm Rd. Ottawa K1A 0B1", "[address] Ottawa [postcode]"),
        ("my zip is 94105", "my zip is [postcode]"),
        ("postcode: 10115 Berlin", "postcode: [postcode] Berlin"),
    ],
)
def test_personal_data_is_replaced(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Where is order ORDER-000123?",
        "show order 1234",
        "I ordered on 2026-11-02 in size 38",
        "Is the 4111 1111 1111 1112 reference right?",  # fails Luhn: not a card
        "It cost 45.00 GBP for 2 shirts",
    ],
)
def test_order_numbers_dates_prices_and_non_cards_stay(text):
    assert redact_text(text) == text


def test_counts_say_what_was_found():
    result = redact("a@b.io, b@c.io and 4111111111111111")

    assert result.counts == {"email": 2, "card": 1, "address": 0, "postcode": 0, "phone": 0}
    assert result.changed


def test_luhn_check():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")  # American Express test number
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("123456789012")  # too short for a card
