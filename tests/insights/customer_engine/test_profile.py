"""The customer profile in words: each statement holds only its facts' values and names them;
missing facts leave their statement out."""

from decimal import Decimal

import pytest

from insights.customer_engine.profile import churn_words, profile_statements

FACTS = {
    "currency": "GBP",
    "segment_name": "Champions",
    "recency_days": 3,
    "frequency": 12,
    "monetary": Decimal("1234.50"),
    "churn_risk": 0.07,
    "expected_purchases": 4.26,
    "horizon_months": 12,
    "clv": Decimal("410.00"),
    "propensity": 0.71,
    "propensity_days": 30,
    "propensity_reason": {"label": "active days in the last 30 days", "value": 6.0,
                          "direction": "raises"},
    "cluster_name": "Premium dress buyers",
}  # fmt: skip


def test_every_statement_is_written_from_the_facts_it_names():
    statements = profile_statements(FACTS)
    texts = [s.text for s in statements]
    assert texts == [
        "Champions: last ordered 3 days ago, 12 orders in all.",
        "Has spent 1,234.50 GBP (102.88 GBP per order).",
        "Likely still active (7% churn risk).",
        "Expected to buy about 4.3 times in the next 12 months, worth 410.00 GBP today.",
        "71% chance of an order in the next 30 days; active days in the last 30 days (6) "
        "raises it most.",
        "Shops like the “Premium dress buyers” cluster.",
    ]
    for statement in statements:
        assert statement.sources and set(statement.sources) <= set(FACTS)
    # Each number in a statement comes from one of its sources (rounded for reading).
    assert statements[0].sources == ("segment_name", "recency_days", "frequency")
    assert statements[3].sources == ("expected_purchases", "horizon_months", "clv")


def test_missing_facts_leave_their_statements_out():
    facts = {**FACTS, "churn_risk": None, "clv": None, "propensity": None, "cluster_name": None}
    texts = [s.text for s in profile_statements(facts)]
    assert len(texts) == 2
    assert not any("churn" in t or "chance" in t or "cluster" in t for t in texts)
    assert profile_statements({}) == []
    one_order = {"segment_name": "New", "recency_days": 1, "frequency": 1}
    assert profile_statements(one_order)[0].text == "New: last ordered 1 day ago, 1 order in all."


@pytest.mark.parametrize(
    ("risk", "words"),
    [(0.0, "likely still active"), (0.2, "may be drifting away"), (0.9, "probably lapsed")],
)
def test_churn_words_follow_the_stated_thresholds(risk, words):
    assert churn_words(risk) == words
