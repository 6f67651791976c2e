"""A constructed store for the customer-score tests: ten customers whose recency and order
counts put them in known RFM segments, plus orders that must not count.

Quintile scores (see insights.customer_engine.rfm) of the ten, by recency (days since the
last order) and frequency (orders):

    name        recency  orders   R  F   segment
    champion_a       1      10    5  5   champions
    champion_b       3       9    5  5   champions
    newcomer         5       1    4  1   new
    promising       10       2    4  2   potential_loyalists
    cooling         30       3    3  3   hibernating
    one_off         60       1    3  1   hibernating
    drifting       120       2    2  2   hibernating
    at_risk_h      200       8    2  4   at_risk
    at_risk_i      300       7    1  4   at_risk
    lost           400       1    1  1   lost

Each customer's orders are 20 days apart, the last one `recency` days ago, 50.00 each.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from shop.models import Customer, Order
from tests.factories.shop import CustomerFactory, OrderFactory

PROFILES: dict[str, tuple[int, int]] = {
    "champion_a": (1, 10),
    "champion_b": (3, 9),
    "newcomer": (5, 1),
    "promising": (10, 2),
    "cooling": (30, 3),
    "one_off": (60, 1),
    "drifting": (120, 2),
    "at_risk_h": (200, 8),
    "at_risk_i": (300, 7),
    "lost": (400, 1),
}
EXPECTED_SEGMENTS = {
    "champion_a": "champions",
    "champion_b": "champions",
    "newcomer": "new",
    "promising": "potential_loyalists",
    "cooling": "hibernating",
    "one_off": "hibernating",
    "drifting": "hibernating",
    "at_risk_h": "at_risk",
    "at_risk_i": "at_risk",
    "lost": "lost",
}
ORDER_TOTAL = Decimal("50.00")


def place_order(customer: Customer | None, *, days_ago: int, total=ORDER_TOTAL, status=None):
    return OrderFactory(
        customer=customer,
        total=total,
        subtotal=total,
        status=status or Order.Status.DELIVERED,
        placed_at=timezone.now() - timedelta(days=days_ago, hours=1),
    )


def build_store() -> dict[str, Customer]:
    """The ten customers above with their orders; returns them by name."""
    customers = {}
    for name, (recency, orders) in PROFILES.items():
        customer = CustomerFactory(name=name)
        for i in range(orders):
            place_order(customer, days_ago=recency + 20 * i)
        customers[name] = customer
    return customers
