"""Reads of a customer's profile in words: the facts the models stored about them, and the
statements `insights.customer_engine.profile` writes from those facts."""

from __future__ import annotations

from typing import Any

from insights.customer_engine.profile import profile_statements
from insights.models import CustomerScore, PurchasePropensity

#: What each fact is, as the panel shows a statement's sources.
FACT_LABELS = {
    "segment_name": "RFM segment",
    "recency_days": "days since the last order",
    "frequency": "orders",
    "monetary": "total spend",
    "churn_risk": "churn risk (BG/NBD)",
    "expected_purchases": "expected purchases (BG/NBD)",
    "horizon_months": "value horizon",
    "clv": "expected lifetime value (Gamma-Gamma)",
    "propensity": "purchase propensity",
    "propensity_days": "propensity horizon",
    "propensity_reason": "largest effect on the propensity",
    "cluster_name": "behaviour cluster",
}


def profile_facts(
    *,
    score: CustomerScore | None,
    propensity: PurchasePropensity | None,
    segment_name: str | None = None,
    cluster_name: str | None = None,
    currency: str = "",
) -> dict[str, Any]:
    facts: dict[str, Any] = {"currency": currency, "cluster_name": cluster_name}
    if score is not None:
        facts.update(
            segment_name=segment_name,
            recency_days=score.recency_days,
            frequency=score.frequency,
            monetary=score.monetary,
            churn_risk=score.churn_risk,
            expected_purchases=score.expected_purchases,
            horizon_months=score.run.horizon_months if score.clv is not None else None,
            clv=score.clv,
        )
    if propensity is not None:
        facts.update(
            propensity=propensity.probability,
            propensity_days=propensity.horizon_days,
            propensity_reason=propensity.reasons[0] if propensity.reasons else None,
        )
    return facts


def customer_profile(**kwargs: Any) -> list[dict[str, Any]]:
    """[{"text", "sources": [{"name", "label"}]}] from `profile_facts(**kwargs)`."""
    return [
        {
            "text": statement.text,
            "sources": [{"name": name, "label": FACT_LABELS[name]} for name in statement.sources],
        }
        for statement in profile_statements(profile_facts(**kwargs))
    ]
