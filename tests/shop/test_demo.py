"""The deterministic demo store: `shop.demo.demo_store_build` and `manage.py seed_demo`."""

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command

from marketing.models import Campaign
from shop.demo import (
    CLOTHING_REVIEWS_FILE,
    GENERATED_REVIEW_TEXTS,
    demo_day_weight,
    demo_store_build,
)
from shop.models import Customer, Event, Order, OrderItem, Product, Review
from tests.factories.shop import OrderItemFactory

pytestmark = pytest.mark.django_db

TODAY = date(2024, 12, 31)
SMALL = {"customers": 60, "days": 30, "products": 40, "today": TODAY}
MEDIUM = {"customers": 150, "days": 180, "products": 60, "today": TODAY}


@pytest.fixture
def no_data(tmp_path):
    """A data folder without the clothing reviews file: the catalogue is generated."""
    return tmp_path


def snapshot() -> dict:
    orders = Order.objects.filter(number__startswith="DEMO-").order_by("number")
    return {
        "customers": Customer.objects.count(),
        "products": Product.objects.count(),
        "reviews": Review.objects.count(),
        "events": dict(Counter(Event.objects.values_list("kind", flat=True))),
        "orders": orders.count(),
        "items": OrderItem.objects.count(),
        "first_orders": list(
            orders.values_list("number", "customer__external_id", "total", "placed_at")[:5]
        ),
        "campaigns": list(Campaign.objects.values_list("slug", "starts_on", "discount_percent")),
    }


def test_the_same_seed_builds_the_same_store(no_data):
    demo_store_build(seed=7, data_dir=no_data, **SMALL)
    first = snapshot()

    summary = demo_store_build(seed=7, data_dir=no_data, reset=True, **SMALL)

    assert not summary.reused
    assert snapshot() == first
    assert first["customers"] == 60
    assert first["orders"] >= 10
    assert set(first["events"]) == {"view", "search", "click", "add_to_cart", "purchase"}


def test_another_seed_builds_another_store(no_data):
    demo_store_build(seed=7, data_dir=no_data, **SMALL)
    first = snapshot()

    demo_store_build(seed=8, data_dir=no_data, reset=True, **SMALL)

    assert snapshot()["first_orders"] != first["first_orders"]


def test_building_again_without_reset_reuses_the_store_and_says_so(no_data, capsys):
    small = ["--customers", "30", "--days", "10", "--products", "20"]
    call_command("seed_demo", "--seed", "3", *small, "--data-dir", str(no_data))
    before = snapshot()

    call_command("seed_demo", "--seed", "3", "--data-dir", str(no_data))

    output = capsys.readouterr().out
    assert "Demo store built with seed 3" in output
    assert "customers: 30;" in output
    assert "A demo store already exists; nothing was changed" in output
    assert snapshot() == before


def test_reset_removes_only_what_the_demo_owns(no_data):
    item = OrderItemFactory(order__number="REAL-1", order__customer__external_id="real-1")
    demo_store_build(seed=1, data_dir=no_data, **SMALL)

    demo_store_build(seed=2, data_dir=no_data, reset=True, customers=10, days=5, products=20)

    assert Customer.objects.filter(external_id__startswith="demo-").count() == 10
    assert Order.objects.filter(number="REAL-1").exists()
    assert Product.objects.filter(pk=item.product_id).exists()
    assert Customer.objects.filter(external_id="real-1").exists()


def test_customers_keep_buying_in_the_categories_they_browsed_earlier(no_data):
    demo_store_build(seed=11, data_dir=no_data, **MEDIUM)
    middle = TODAY - timedelta(days=MEDIUM["days"] // 2)
    category = dict(Product.objects.values_list("pk", "category_id"))
    earlier_views: dict[int, Counter] = defaultdict(Counter)
    for customer, product in Event.objects.filter(
        kind="view", customer__isnull=False, occurred_at__date__lt=middle
    ).values_list("customer_id", "product_id"):
        earlier_views[customer][category[product]] += 1
    later_purchases = list(
        OrderItem.objects.filter(
            order__customer__isnull=False, order__placed_at__date__gte=middle
        ).values_list("order__customer_id", "product_id")
    )
    overall = Counter(category[product] for _, product in later_purchases)

    hits = chance = counted = 0
    for customer, product in later_purchases:
        if customer in earlier_views:
            favourite = earlier_views[customer].most_common(1)[0][0]
            hits += category[product] == favourite
            chance += overall[favourite] / len(later_purchases)
            counted += 1

    assert counted > 100
    assert hits / counted > 0.3
    assert hits / counted > 3 * chance / counted


def test_orders_follow_the_week_and_the_year():
    saturday, wednesday = date(2024, 6, 8), date(2024, 6, 5)
    black_friday = date(2024, 11, 29)

    assert demo_day_weight(saturday) > 1.2 * demo_day_weight(wednesday)
    assert demo_day_weight(date(2024, 12, 11)) > 1.4 * demo_day_weight(date(2024, 6, 12))
    assert demo_day_weight(black_friday) > 1.5 * demo_day_weight(black_friday - timedelta(7))
    assert demo_day_weight(date(2024, 1, 10)) < demo_day_weight(date(2024, 5, 8))


def test_campaigns_discount_their_category_during_their_period(no_data):
    demo_store_build(seed=5, data_dir=no_data, **MEDIUM)

    campaigns = list(Campaign.objects.all())
    assert len(campaigns) == 2
    for campaign in campaigns:
        items = OrderItem.objects.filter(product__category=campaign.target_category).select_related(
            "order", "product"
        )
        inside = [
            i for i in items if campaign.starts_on <= i.order.placed_at.date() <= campaign.ends_on
        ]
        outside = [i for i in items if i not in inside]
        factor = 1 - Decimal(campaign.discount_percent) / 100
        assert inside
        assert all(
            i.unit_price == (i.product.price * factor).quantize(Decimal("0.01")) for i in inside
        )
        assert all(i.unit_price == i.product.price for i in outside)


def test_generated_review_text_agrees_with_its_rating(no_data):
    demo_store_build(seed=4, data_dir=no_data, **SMALL)

    patterns = {
        rating: [
            re.compile(re.escape(t).replace(r"\{noun\}", ".+").replace(r"\{aspect\}", r"\w+"))
            for t in templates
        ]
        for rating, templates in GENERATED_REVIEW_TEXTS.items()
    }
    reviews = list(Review.objects.values_list("rating", "text"))
    assert len(reviews) > 20
    for rating, text in reviews:
        assert any(p.fullmatch(text) for p in patterns[rating]), (rating, text)


def test_reviews_by_customers_come_after_they_bought_the_product(no_data):
    demo_store_build(seed=6, data_dir=no_data, **MEDIUM)

    reviews = list(Review.objects.filter(customer__isnull=False))
    assert reviews
    for review in reviews:
        bought = OrderItem.objects.filter(
            order__customer=review.customer,
            product=review.product,
            order__placed_at__lt=review.created_at,
            order__status="delivered",
        )
        assert bought.exists()


def test_every_product_gets_a_unit_cost_of_40_to_65_percent_of_its_price(no_data):
    demo_store_build(seed=7, data_dir=no_data, **SMALL)
    costs = {
        sku: (price, cost)
        for sku, price, cost in Product.objects.values_list("sku", "price", "unit_cost")
    }

    assert len(costs) == SMALL["products"]
    for price, cost in costs.values():
        assert (
            price * Decimal("0.40") - Decimal("0.01")
            <= cost
            <= price * Decimal("0.65") + Decimal("0.01")
        )
    assert len({cost / price for price, cost in costs.values()}) > SMALL["products"] // 2

    demo_store_build(seed=7, data_dir=no_data, reset=True, **SMALL)
    again = {
        sku: (price, cost)
        for sku, price, cost in Product.objects.values_list("sku", "price", "unit_cost")
    }
    assert again == costs


def test_unit_costs_leave_every_other_number_of_the_store_as_it_was(no_data, monkeypatch):
    def everything() -> dict:
        return {
            **snapshot(),
            "orders_all": list(
                Order.objects.order_by("number").values_list("number", "total", "placed_at")
            ),
            "items_all": list(
                OrderItem.objects.order_by("order__number", "product__sku").values_list(
                    "order__number", "product__sku", "quantity", "unit_price"
                )
            ),
            "prices": list(Product.objects.order_by("sku").values_list("sku", "price", "stock")),
        }

    demo_store_build(seed=7, data_dir=no_data, **SMALL)
    with_costs = everything()
    monkeypatch.setattr("shop.demo._unit_costs_set", lambda **kwargs: None)

    demo_store_build(seed=7, data_dir=no_data, reset=True, **SMALL)

    assert not Product.objects.filter(unit_cost__isnull=False).exists()
    assert everything() == with_costs


def test_real_catalogue_takes_the_most_reviewed_clothing_products():
    if not (settings.SHARED_DATA_DIR / CLOTHING_REVIEWS_FILE).is_file():
        pytest.skip(f"{CLOTHING_REVIEWS_FILE} is absent under SHARED_DATA_DIR")

    summary = demo_store_build(seed=1, customers=30, days=20, products=8, today=TODAY)

    assert summary.catalogue == "Women's E-Commerce Clothing Reviews"
    skus = set(Product.objects.values_list("sku", flat=True))
    assert len(skus) == 8 and all(sku.startswith("CLOTH-") for sku in skus)
    assert "CLOTH-1078" in skus  # the most reviewed item (1,024 reviews)
    assert Review.objects.count() == sum(Product.objects.values_list("review_count", flat=True))
    assert Review.objects.filter(created_at__date__gte=TODAY).count() == 0
    assert set(OrderItem.objects.values_list("product__sku", flat=True)) <= skus
    assert not Product.objects.filter(unit_cost__isnull=True).exists()


def test_some_customers_leave_the_store_for_good(no_data):
    demo_store_build(seed=5, data_dir=no_data, **MEDIUM)
    quarter = TODAY - timedelta(days=MEDIUM["days"] // 4)
    first_half = TODAY - timedelta(days=MEDIUM["days"] // 2)
    active_early = set(
        Event.objects.filter(customer__isnull=False, occurred_at__date__lt=first_half)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    active_late = set(
        Event.objects.filter(customer__isnull=False, occurred_at__date__gte=quarter)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    lapsed = active_early - active_late
    # About 40% leave at a uniform day; a quarter of those after the early half is over.
    assert len(lapsed) / len(active_early) > 0.1
    assert active_late, "most customers are still shopping"
