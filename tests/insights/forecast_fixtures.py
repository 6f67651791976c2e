"""A small store with known weekly sales, for the forecast service, job, API and admin tests."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from insights.services.forecasts import last_complete_day
from shop.models import Order
from tests.factories.shop import (
    CategoryFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)

WEEKS = 30
# Units per week of each product: steady, alternating (high/low weeks) and new.
STEADY, ALTERNATING = 4, (6, 2)


def placed(weeks_ago: int):
    """Wednesday noon of the `weeks_ago`-th last whole week (1: the latest one the forecast
    reads; a week in progress is left out)."""
    last_sunday = last_complete_day(timezone.localdate(), "W")
    day = last_sunday - timedelta(days=4) - timedelta(weeks=weeks_ago - 1)
    return timezone.make_aware(datetime.combine(day, time(12)))


def build_sales_store() -> dict:
    """Two categories; `steady` sells 4 a week, `alternating` 6 and 2 in turn (both for 30
    weeks, one order a week each), `new` sold 3 two weeks ago; a cancelled order of 50
    `steady` units must not count. Returns the products and categories by name."""
    customer = CustomerFactory()
    tops, dresses = CategoryFactory(name="Tops"), CategoryFactory(name="Dresses")
    steady = ProductFactory(title="Steady top", category=tops, stock=3)
    alternating = ProductFactory(
        title="Alternating dress", category=dresses, stock=500, attributes={"lead_time_days": 7}
    )
    new = ProductFactory(title="New top", category=tops, stock=10)
    for weeks_ago in range(1, WEEKS + 1):
        OrderItemFactory(
            order=OrderFactory(customer=customer, placed_at=placed(weeks_ago)),
            product=steady,
            quantity=STEADY,
        )
        OrderItemFactory(
            order=OrderFactory(customer=customer, placed_at=placed(weeks_ago)),
            product=alternating,
            quantity=ALTERNATING[weeks_ago % 2],
        )
    OrderItemFactory(
        order=OrderFactory(customer=customer, placed_at=placed(2)), product=new, quantity=3
    )
    OrderItemFactory(
        order=OrderFactory(customer=customer, placed_at=placed(3), status=Order.Status.CANCELLED),
        product=steady,
        quantity=50,
    )
    return {
        "steady": steady,
        "alternating": alternating,
        "new": new,
        "tops": tops,
        "dresses": dresses,
    }
