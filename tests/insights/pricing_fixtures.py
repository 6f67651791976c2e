"""A small store whose weekly sales answer price with a planted elasticity, for the price
suggestion service, job and admin tests."""

import math
import random
from decimal import ROUND_HALF_UP, Decimal

from insights.models import PriceSuggestion
from tests.factories.shop import (
    CategoryFactory,
    CustomerFactory,
    OrderFactory,
    OrderItemFactory,
    ProductFactory,
)
from tests.insights.forecast_fixtures import placed

WEEKS = 30
PRICE = Decimal("20.00")
ELASTIC, INELASTIC = -2.0, -0.5
# Weekly price levels (share of the list price): campaigns and their ends.
LEVELS = (0.8, 0.85, 0.9, 1.0, 1.0, 1.0, 1.1)
NOISE = 0.05  # standard deviation of log units around the demand curve


def _sell(*, customer, product, weeks_ago: int, price: Decimal, units: int) -> None:
    if units > 0:
        OrderItemFactory(
            order=OrderFactory(customer=customer, placed_at=placed(weeks_ago)),
            product=product,
            quantity=units,
            unit_price=price,
        )


def build_price_store(seed: int = 3) -> dict:
    """Five products priced 20.00, over 30 whole weeks of one order a week each:

    - `varied` (cost 15.00, category Elastic): its price paid moves between 80% and 110%
      of 20.00 and its units follow 100 x (price / 20)^-2 with 5% noise;
    - `uncosted` (no cost, Elastic): the same curve, other price draws;
    - `steady` (cost 8.00, Elastic): always 20.00, 10 units a week (no price change of its own);
    - `inelastic` (cost 17.00, category Inelastic): 80% to 110% with elasticity -0.5;
    - `flat` (cost 5.00, category Flat, alone there): always 20.00, 6 units a week.
    """
    rng = random.Random(seed)
    customer = CustomerFactory()
    elastic, inelastic, flat = (
        CategoryFactory(name=name) for name in ("Elastic", "Inelastic", "Flat")
    )
    products = {
        "varied": ProductFactory(
            title="Varied", category=elastic, price=PRICE, unit_cost=Decimal("15.00")
        ),
        "uncosted": ProductFactory(title="Uncosted", category=elastic, price=PRICE, unit_cost=None),
        "steady": ProductFactory(
            title="Steady", category=elastic, price=PRICE, unit_cost=Decimal("8.00")
        ),
        "inelastic": ProductFactory(
            title="Inelastic", category=inelastic, price=PRICE, unit_cost=Decimal("17.00")
        ),
        "flat": ProductFactory(title="Flat", category=flat, price=PRICE, unit_cost=Decimal("5.00")),
    }
    curves = {"varied": ELASTIC, "uncosted": ELASTIC, "inelastic": INELASTIC}
    for weeks_ago in range(1, WEEKS + 1):
        for name, elasticity in curves.items():
            level = rng.choice(LEVELS)
            price = (PRICE * Decimal(str(level))).quantize(Decimal("0.01"), ROUND_HALF_UP)
            units = round(100 * level**elasticity * math.exp(rng.gauss(0, NOISE)))
            _sell(
                customer=customer,
                product=products[name],
                weeks_ago=weeks_ago,
                price=price,
                units=units,
            )
        _sell(
            customer=customer,
            product=products["steady"],
            weeks_ago=weeks_ago,
            price=PRICE,
            units=10,
        )
        _sell(
            customer=customer, product=products["flat"], weeks_ago=weeks_ago, price=PRICE, units=6
        )
    return products


def open_suggestion(product, suggested: Decimal = Decimal("22.00")) -> PriceSuggestion:
    """A proposal for `product` as the recompute writes one (from its current price)."""
    from django.utils import timezone

    return PriceSuggestion.objects.create(
        product=product,
        current_price=product.price,
        suggested_price=suggested,
        unit_cost=product.unit_cost if product.unit_cost is not None else Decimal("10.00"),
        reason="profit-maximising price under elasticity -2.00 is 30.00; limited to a 10% change",
        elasticity=-2.0,
        elasticity_se=0.1,
        scope=PriceSuggestion.Scope.PRODUCT,
        observations=30,
        products_pooled=1,
        quantity_per_week=100.0,
        quantity_ratio=0.83,
        quantity_ratio_low=0.80,
        quantity_ratio_high=0.86,
        revenue_ratio=0.91,
        revenue_ratio_low=0.88,
        revenue_ratio_high=0.95,
        profit_ratio=1.2,
        profit_ratio_low=1.1,
        profit_ratio_high=1.3,
        profit_change_per_week=50.0,
        profit_change_per_week_low=40.0,
        profit_change_per_week_high=60.0,
        created_at=timezone.now(),
    )
