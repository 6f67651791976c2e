"""A constructed store for the behaviour-cluster tests: two planted kinds of customer.

- six "premium dress" customers: three recent orders each of the dearer dress (160.00 in a
  category whose products average 100.00), views of it, and a review;
- six "bargain sock" customers: no orders, views of the cheaper socks (2.00 against an
  average of 5.00) and searches for cheap socks, last seen about 200 days ago;

plus customers who must be left out: one who refuses profiling (otherwise a premium dress
customer) and one with a single event and no order.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shop.models import Customer, Event, Order
from tests.factories.shop import (
    CategoryFactory,
    CustomerFactory,
    EventFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
    ReviewFactory,
)


def _event(customer, kind, *, days_ago: float, session: str, product=None, query=""):
    return EventFactory(
        customer=customer, kind=kind, product=product, query=query, session_id=session,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )  # fmt: skip


def _premium(name: str, dress, *, profiling: bool = True) -> Customer:
    customer = CustomerFactory(name=name, profiling_consent=profiling)
    for i in range(3):
        order = OrderFactory(
            customer=customer, status=Order.Status.DELIVERED, total=Decimal("160.00"),
            subtotal=Decimal("160.00"), placed_at=timezone.now() - timedelta(days=2 + 5 * i),
        )  # fmt: skip
        OrderItemFactory(order=order, product=dress, quantity=1, unit_price=Decimal("160.00"))
        session = f"{name}-{i}"
        _event(customer, Event.Kind.VIEW, days_ago=2 + 5 * i, session=session, product=dress)
        _event(customer, Event.Kind.ADD_TO_CART, days_ago=2 + 5 * i, session=session,
               product=dress)  # fmt: skip
    ReviewFactory(product=dress, customer=customer, title="Elegant",
                  text="A beautiful silk evening dress, worth every penny.")  # fmt: skip
    return customer


def _bargain(name: str, socks) -> Customer:
    customer = CustomerFactory(name=name)
    for i in range(5):
        session = f"{name}-{i}"
        _event(customer, Event.Kind.SEARCH, days_ago=200 + i, session=session,
               query="cheap socks multipack")  # fmt: skip
        _event(customer, Event.Kind.VIEW, days_ago=200 + i, session=session, product=socks)
    return customer


def build_cluster_store() -> dict[str, list[Customer]]:
    dresses = CategoryFactory(name="Dresses", slug="dresses")
    socks_category = CategoryFactory(name="Socks", slug="socks")
    dress = ProductFactory(title="Silk evening dress", category=dresses, price=Decimal("160.00"))
    ProductFactory(title="Cotton day dress", category=dresses, price=Decimal("40.00"))
    socks = ProductFactory(title="Ankle socks", category=socks_category, price=Decimal("2.00"))
    ProductFactory(title="Wool socks", category=socks_category, price=Decimal("8.00"))
    premium = [_premium(f"premium-{i}", dress) for i in range(6)]
    bargain = [_bargain(f"bargain-{i}", socks) for i in range(6)]
    refuser = _premium("refuser", dress, profiling=False)
    passer_by = CustomerFactory(name="passer-by")
    _event(passer_by, Event.Kind.VIEW, days_ago=3, session="passer", product=socks)
    return {"premium": premium, "bargain": bargain, "left_out": [refuser, passer_by]}
