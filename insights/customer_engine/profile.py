"""A customer's profile in words, built from the facts the models computed about them.

Every statement names the facts it was written from (`sources`), and says nothing those
facts do not hold: numbers are the facts' own values, rounded for reading, and the words
for a level (e.g. "probably lapsed") come from fixed thresholds stated here. Facts that are
missing (a model not fitted, a customer not scored) leave their statement out.

Facts (all optional): segment_name, recency_days, frequency, monetary, currency, churn_risk,
expected_purchases, horizon_months, clv, propensity, propensity_days, propensity_reason
({label, value, direction}), cluster_name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Churn risk below the first bound reads "likely still active", below the second "may be
#: drifting away", above it "probably lapsed".
CHURN_WORDS = (
    (0.2, "likely still active"),
    (0.6, "may be drifting away"),
    (1.01, "probably lapsed"),
)


@dataclass(frozen=True)
class Statement:
    text: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "sources": list(self.sources)}


def _plural(count: float, word: str) -> str:
    return f"{count:g} {word}" if count == 1 else f"{count:g} {word}s"


def _money(amount: Any, currency: str) -> str:
    return f"{float(amount):,.2f} {currency}".strip()


def churn_words(risk: float) -> str:
    return next(words for bound, words in CHURN_WORDS if risk < bound)


def profile_statements(facts: dict[str, Any]) -> list[Statement]:
    """The statements the facts support, most telling first."""
    out: list[Statement] = []
    currency = facts.get("currency", "")
    has = {name for name, value in facts.items() if value is not None}
    if {"segment_name", "recency_days", "frequency"} <= has:
        out.append(
            Statement(
                f"{facts['segment_name']}: last ordered {_plural(facts['recency_days'], 'day')} "
                f"ago, {_plural(facts['frequency'], 'order')} in all.",
                ("segment_name", "recency_days", "frequency"),
            )
        )
    if {"monetary", "frequency"} <= has and facts["frequency"]:
        average = float(facts["monetary"]) / facts["frequency"]
        out.append(
            Statement(
                f"Has spent {_money(facts['monetary'], currency)} "
                f"({_money(average, currency)} per order).",
                ("monetary", "frequency"),
            )
        )
    if "churn_risk" in has:
        risk = facts["churn_risk"]
        out.append(
            Statement(f"{churn_words(risk).capitalize()} ({risk:.0%} churn risk).", ("churn_risk",))
        )
    if {"expected_purchases", "horizon_months", "clv"} <= has:
        out.append(
            Statement(
                f"Expected to buy about {facts['expected_purchases']:.1f} times in the next "
                f"{facts['horizon_months']} months, worth {_money(facts['clv'], currency)} "
                "today.",
                ("expected_purchases", "horizon_months", "clv"),
            )
        )
    if {"propensity", "propensity_days"} <= has:
        text = (
            f"{facts['propensity']:.0%} chance of an order in the next "
            f"{facts['propensity_days']} days"
        )
        sources: tuple[str, ...] = ("propensity", "propensity_days")
        reason = facts.get("propensity_reason")
        if reason:
            value = "" if reason.get("value") is None else f" ({reason['value']:g})"
            text += f"; {reason['label']}{value} {reason['direction']} it most"
            sources += ("propensity_reason",)
        out.append(Statement(text + ".", sources))
    if "cluster_name" in has:
        out.append(
            Statement(f"Shops like the “{facts['cluster_name']}” cluster.", ("cluster_name",))
        )
    return out
