import pytest

from shop.models import Product, Review
from shop.services import product_rating_aggregates_recompute

pytestmark = pytest.mark.django_db


def test_recompute_touches_only_the_given_products():
    first = Product.objects.create(sku="A", title="A", price="1.00")
    second = Product.objects.create(sku="B", title="B", price="1.00")
    for product in (first, second):
        Review.objects.create(product=product, rating=2, created_at="2026-01-01T00:00Z")

    changed = product_rating_aggregates_recompute(product_ids=[first.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert changed == 1
    assert (first.review_count, str(first.rating_average)) == (1, "2.00")
    assert (second.review_count, second.rating_average) == (0, None)
