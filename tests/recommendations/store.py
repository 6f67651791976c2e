"""A small store with planted behaviour, for the recommendation tests.

- Sequences: most customers view A, then B, then C (A -> B -> C), in one category "Dresses";
  a second group views X -> Y -> Z in "Shoes".
- Orders: P and Q are always bought together (in "Bags").
- One product, NEW, has no interactions at all (served by content similarity only).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from shop.models import Event
from tests.factories.shop import (
    CategoryFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)


@dataclass
class PlantedStore:
    products: dict
    customers: list
    categories: dict


def build_planted_store(customers_per_group: int = 12) -> PlantedStore:
    categories = {name: CategoryFactory(name=name) for name in ("Dresses", "Shoes", "Bags")}
    spec = {
        "A": "Dresses",
        "B": "Dresses",
        "C": "Dresses",
        "D": "Dresses",
        "X": "Shoes",
        "Y": "Shoes",
        "Z": "Shoes",
        "P": "Bags",
        "Q": "Bags",
        "R": "Bags",
        "NEW": "Dresses",
    }
    products = {
        name: ProductFactory(
            title=f"{name} {category[:-1].lower()}", category=categories[category], stock=10
        )
        for name, category in spec.items()
    }
    start = timezone.now() - timedelta(days=20)
    customers = []
    events = []
    for group, chain in enumerate((("A", "B", "C"), ("X", "Y", "Z"))):
        for i in range(customers_per_group):
            customer = CustomerFactory()
            customers.append(customer)
            at = start + timedelta(hours=group * 100 + i)
            for step, name in enumerate(chain):
                events.append(
                    Event(
                        kind=Event.Kind.VIEW,
                        customer=customer,
                        session_id=f"s-{customer.pk}",
                        product=products[name],
                        occurred_at=at + timedelta(minutes=step),
                    )
                )
            if i % 2 == 0:
                order = OrderFactory(customer=customer, placed_at=at + timedelta(hours=1))
                OrderItemFactory(order=order, product=products["P"])
                OrderItemFactory(order=order, product=products["Q"])
    # A few lone purchases of R keep it from being a co-purchase of P.
    for _ in range(3):
        OrderItemFactory(order=OrderFactory(placed_at=start), product=products["R"])
    Event.objects.bulk_create(events)
    return PlantedStore(products=products, customers=customers, categories=categories)


# Small and quick: the planted patterns are learned in a few seconds on the CPU.
FAST_SEQUENTIAL = {
    "epochs": 60,
    "hidden": 16,
    "patience": 60,
    "dropout": 0.1,
    "lr": 0.01,
    "device": "cpu",
    "max_train_seconds": 60.0,
}
