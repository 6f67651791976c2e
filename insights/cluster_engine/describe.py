"""What describes a behaviour cluster, and its name in plain words.

Facts of a cluster, over its members (a customer's values as in `features.CustomerActivity`):

    size, share                    members, members / customers clustered
    top_categories                 [{name, share}]: the members' mean share of item activity per
                                   top-level category, the TOP_CATEGORIES largest (>= 5%)
    price_level                    mean relative price of the members with priced items
                                   (1 = category average); price_band "budget" below
                                   BUDGET_BELOW, "premium" above PREMIUM_ABOVE, else "mid"
    orders_per_customer, buyers_share, spend_per_customer
    aov                            the members' spend / their orders
    conversion                     the members' orders / their sessions
    search_share                   the members' searches / their events
    reviews_per_customer, median_recency_days

The deterministic name is built from the facts, in this order: "Lapsed" when the median
recency is at least LAPSED_DAYS; "Premium" or "Bargain" for the price band (nothing for mid);
the top category when it holds at least DOMINANT_SHARE of the activity; and a role:
"browsers" when fewer than BROWSER_BUYERS_BELOW of the members bought, "searchers" when the
search share is at least SEARCHER_SHARE, "regulars" at REGULAR_ORDERS orders per customer or
more, else "buyers"; and "who review" at REVIEWER_REVIEWS reviews per customer or more. E.g.
"Premium dress buyers", "Lapsed bargain browsers", "Dress regulars who review". Two clusters
with the same name get "(cluster N)" appended.

A name proposed by the generator is kept only if `generated_name_check` accepts it: one line,
1-5 words, at most NAME_MAX_CHARS characters, and no category named that is not among the
cluster's top categories, and not a copy of the prompt's examples; otherwise the
deterministic name stands.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from insights.cluster_engine.features import CustomerActivity

TOP_CATEGORIES = 3
MIN_CATEGORY_SHARE = 0.05
BUDGET_BELOW = 0.9
PREMIUM_ABOVE = 1.1
LAPSED_DAYS = 90
DOMINANT_SHARE = 0.4
BROWSER_BUYERS_BELOW = 0.3
SEARCHER_SHARE = 0.3
REGULAR_ORDERS = 3.0
REVIEWER_REVIEWS = 0.5
NAME_MAX_CHARS = 40
NAME_MAX_WORDS = 5


@dataclass(frozen=True)
class ClusterFacts:
    number: int
    size: int
    share: float
    top_categories: list[dict[str, float | str]]
    price_level: float | None
    price_band: str
    orders_per_customer: float
    buyers_share: float
    spend_per_customer: float
    aov: float
    conversion: float
    search_share: float
    reviews_per_customer: float
    median_recency_days: float

    def as_dict(self) -> dict:
        return asdict(self)


def price_band(level: float | None) -> str:
    if level is None:
        return "mid"
    if level < BUDGET_BELOW:
        return "budget"
    if level > PREMIUM_ABOVE:
        return "premium"
    return "mid"


def _ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def cluster_facts(
    activities: Sequence[CustomerActivity], labels: Sequence[int] | np.ndarray, *, k: int
) -> list[ClusterFacts]:
    """The facts of clusters 0..k-1 (module docstring); `labels[i]` is `activities[i]`'s."""
    labels = np.asarray(labels)
    total = len(activities)
    facts = []
    for number in range(k):
        members = [a for a, label in zip(activities, labels, strict=True) if label == number]
        size = len(members)
        shares: dict[str, float] = {}
        for member in members:
            for name, share in member.category_shares().items():
                shares[name] = shares.get(name, 0.0) + share / size
        top = sorted(shares.items(), key=lambda item: (-item[1], item[0]))
        top_categories = [
            {"name": name, "share": round(share, 4)}
            for name, share in top[:TOP_CATEGORIES]
            if share >= MIN_CATEGORY_SHARE
        ]
        priced = [m.price_level for m in members if m.priced_items]
        level = round(statistics.fmean(priced), 4) if priced else None
        orders = sum(m.orders for m in members)
        spend = sum(m.spend for m in members)
        facts.append(
            ClusterFacts(
                number=number,
                size=size,
                share=_ratio(size, total),
                top_categories=top_categories,
                price_level=level,
                price_band=price_band(level),
                orders_per_customer=_ratio(orders, size),
                buyers_share=_ratio(sum(m.orders > 0 for m in members), size),
                spend_per_customer=round(spend / size, 2) if size else 0.0,
                aov=round(spend / orders, 2) if orders else 0.0,
                conversion=_ratio(orders, sum(m.sessions for m in members)),
                search_share=_ratio(
                    sum(m.searches for m in members), sum(m.events for m in members)
                ),
                reviews_per_customer=_ratio(sum(m.reviews for m in members), size),
                median_recency_days=(
                    round(statistics.median(m.recency_days for m in members), 1) if members else 0.0
                ),
            )
        )
    return facts


def rule_name(facts: ClusterFacts) -> str:
    """The deterministic name of a cluster from its facts (module docstring)."""
    words = []
    if facts.median_recency_days >= LAPSED_DAYS:
        words.append("lapsed")
    words.append({"premium": "premium", "budget": "bargain"}.get(facts.price_band, ""))
    top = facts.top_categories[0] if facts.top_categories else None
    if top is not None and float(top["share"]) >= DOMINANT_SHARE:
        words.append(str(top["name"]).lower())
    if facts.buyers_share < BROWSER_BUYERS_BELOW:
        words.append("browsers")
    elif facts.search_share >= SEARCHER_SHARE:
        words.append("searchers")
    elif facts.orders_per_customer >= REGULAR_ORDERS:
        words.append("regulars")
    else:
        words.append("buyers")
    if facts.reviews_per_customer >= REVIEWER_REVIEWS:
        words.append("who review")
    name = " ".join(word for word in words if word)
    return name[:1].upper() + name[1:]


def rule_names(facts: Sequence[ClusterFacts]) -> list[str]:
    """`rule_name` of each cluster, "(cluster N)" appended to names that repeat."""
    names = [rule_name(f) for f in facts]
    repeated = {name for name in names if names.count(name) > 1}
    return [
        f"{name} (cluster {f.number + 1})" if name in repeated else name
        for name, f in zip(names, facts, strict=True)
    ]


# Few-shot examples for a base language model; their names say nothing about any category,
# and a proposal that copies one is refused (it would not come from the cluster's facts).
_EXAMPLES = (
    ("Shoes (80%), Bags (15%)", "premium", 4.2, 1.0, 180.0, 0.05, 9, "Loyal luxury shoppers"),
    ("no clear favourite", "budget", 0.0, 0.1, 0.0, 0.45, 200, "Lapsed deal hunters"),
)
EXAMPLE_NAMES = frozenset(example[-1].lower() for example in _EXAMPLES)


def _facts_block(categories: str, band: str, orders: float, bought: float, aov: float,
                 searches: float, recency: float) -> str:  # fmt: skip
    return (
        f"Favourite categories: {categories}\n"
        f"Price level: {band}\n"
        f"Orders per customer: {orders:.1f}; share who bought: {bought:.0%}\n"
        f"Average order value: {aov:.2f}; share of searches: {searches:.0%}\n"
        f"Days since last visit (median): {recency:.0f}\n"
    )


def naming_prompt(facts: ClusterFacts) -> str:
    """A few-shot prompt for the generator: the facts only, and the shape of the answer."""
    categories = (
        ", ".join(f"{c['name']} ({float(c['share']):.0%})" for c in facts.top_categories)
        or "no clear favourite"
    )
    shots = "".join(
        _facts_block(*example[:-1]) + f"Name: {example[-1]}\n\n" for example in _EXAMPLES
    )
    return (
        "Each group of online shoppers gets a short plain name (2 to 4 words) that follows "
        "from its facts.\n\n"
        + shots
        + _facts_block(
            categories,
            facts.price_band,
            facts.orders_per_customer,
            facts.buyers_share,
            facts.aov,
            facts.search_share,
            facts.median_recency_days,
        )  # fmt: skip
        + "Name:"
    )


def _word_pattern(name: str) -> re.Pattern[str]:
    # The category's name, or its plural, as whole words.
    return re.compile(rf"\b{re.escape(name.lower())}(?:s|es)?\b")


def generated_name_check(
    proposed: str | None, *, facts: ClusterFacts, known_categories: Iterable[str]
) -> str | None:
    """The generator's name cleaned up, or None when it must not be used (module docstring)."""
    if not proposed:
        return None
    line = proposed.strip().splitlines()[0] if proposed.strip() else ""
    line = line.strip().strip("\"'`*.:;,-").strip()
    if not line or len(line) > NAME_MAX_CHARS or len(line.split()) > NAME_MAX_WORDS:
        return None
    if not re.search(r"[A-Za-z]", line) or line.lower() in EXAMPLE_NAMES:
        return None
    allowed = {str(c["name"]).lower() for c in facts.top_categories}
    lowered = line.lower()
    for category in known_categories:
        category = category.strip().lower()
        if category and category not in allowed and _word_pattern(category).search(lowered):
            return None
    return line[:1].upper() + line[1:]
