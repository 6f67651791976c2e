"""The store's intents and the labelled seed set of shopper messages (support/data/).

Plain data and a loader that takes the model classes as arguments, so that the data migration
(with its historical models) and `manage.py support_seed` (with the real ones) share it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED_CSV = Path(__file__).resolve().parent / "data" / "intent_seed.csv"


@dataclass(frozen=True)
class IntentSpec:
    key: str
    name: str
    description: str
    is_out_of_scope: bool = False


INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec("order_status", "Order status", "Where an order is, whether it was placed, "
               "shipped or delivered, tracking."),
    IntentSpec("delivery_time", "Delivery time", "How long delivery takes, delivery options, "
               "dates and destinations, before or after ordering."),
    IntentSpec("return_request", "Return", "Sending items back: policy, labels, conditions, "
               "drop-off."),
    IntentSpec("refund", "Refund", "Money back: when, how much, to which payment method."),
    IntentSpec("exchange_size_change", "Exchange or size change", "Swapping an item for "
               "another size or colour, changing the size on an order."),
    IntentSpec("product_question", "Product question", "Materials, care, features, stock of a "
               "product."),
    IntentSpec("size_advice", "Size advice", "Which size to choose, how a product fits, size "
               "charts."),
    IntentSpec("payment_problem", "Payment problem", "Declined or double payments, payment "
               "methods, checkout errors."),
    IntentSpec("complaint", "Complaint", "Dissatisfaction with a product, a delivery or the "
               "service."),
    IntentSpec("account", "Account", "Log-in, password, profile, addresses, emails, privacy."),
    IntentSpec("talk_to_human", "Talk to a human", "The shopper asks for a person."),
    IntentSpec("greeting_other", "Greeting or other", "Greetings, thanks and anything the "
               "store's assistant does not handle.", is_out_of_scope=True),
)  # fmt: skip


def read_seed_examples(path: Path = SEED_CSV) -> list[tuple[str, str]]:
    """(text, intent key) of each row of the seed CSV, in file order, whitespace-trimmed."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (row["text"].strip(), row["intent"].strip())
            for row in csv.DictReader(handle)
            if row["text"].strip() and row["intent"].strip()
        ]


def seed_load(*, intent_model: Any, example_model: Any, path: Path = SEED_CSV) -> dict[str, int]:
    """Create the missing intents and seed examples; existing rows are left as they are.

    Idempotent: intents are matched by key and examples by (text, intent). Rows naming an
    unknown intent raise ValueError. Returns counts of what was created.
    """
    created_intents = 0
    for spec in INTENTS:
        _, created = intent_model.objects.get_or_create(
            key=spec.key,
            defaults={
                "name": spec.name,
                "description": spec.description,
                "is_out_of_scope": spec.is_out_of_scope,
            },
        )
        created_intents += created
    intents = {intent.key: intent for intent in intent_model.objects.all()}
    rows = read_seed_examples(path)
    unknown = sorted({key for _, key in rows} - set(intents))
    if unknown:
        raise ValueError(f"{path.name} names unknown intents {unknown}.")
    before = example_model.objects.count()
    example_model.objects.bulk_create(
        [example_model(text=text, intent=intents[key], source="seed") for text, key in rows],
        ignore_conflicts=True,
        batch_size=500,
    )
    return {"intents": created_intents, "examples": example_model.objects.count() - before}
