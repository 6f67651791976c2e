from datetime import timedelta

import pytest
from django.utils import timezone

from shop.models import ApiKey, Order, Review
from tests.factories.api import (
    CustomerFactory,
    OrderItemFactory,
    ProductFactory,
    ReviewFactory,
    api_key_client,
    token_client,
)

pytestmark = pytest.mark.django_db


def url(product) -> str:
    return f"/api/v1/products/{product.pk}/reviews/"


def bought(customer, product, *, status=Order.Status.DELIVERED):
    return OrderItemFactory(order__customer=customer, order__status=status, product=product)


# --- Reading ------------------------------------------------------------------------------


def test_storefront_lists_a_products_reviews_newest_first(catalogue_client):
    product = ProductFactory()
    older = ReviewFactory(product=product, rating=2, created_at=timezone.now() - timedelta(days=1))
    newer = ReviewFactory(product=product, rating=5, title="Great", text="Loved it")
    ReviewFactory()  # another product's review

    response = catalogue_client.get(url(product))

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert response.json()["results"] == [
        {
            "id": newer.pk,
            "product": product.pk,
            "rating": 5,
            "title": "Great",
            "text": "Loved it",
            "created_at": newer.created_at.isoformat().replace("+00:00", "Z"),
        },
        {
            "id": older.pk,
            "product": product.pk,
            "rating": 2,
            "title": "Good",
            "text": "Does what it says.",
            "created_at": older.created_at.isoformat().replace("+00:00", "Z"),
        },
    ]


def test_key_with_reviews_read_scope_lists_reviews():
    product = ProductFactory()

    response = api_key_client(ApiKey.Scope.REVIEWS_READ).get(url(product))

    assert response.status_code == 200


def test_key_without_a_read_scope_cannot_list_reviews():
    product = ProductFactory()

    response = api_key_client(ApiKey.Scope.EVENTS_WRITE).get(url(product))

    assert response.status_code == 403


def test_anonymous_caller_cannot_list_reviews(anonymous_client):
    product = ProductFactory()

    response = anonymous_client.get(url(product))

    assert response.status_code == 401


def test_staff_list_reviews_of_an_inactive_product(staff_client):
    product = ProductFactory(is_active=False)
    ReviewFactory(product=product)

    response = staff_client.get(url(product))

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_reviews_of_an_inactive_product_are_404_for_the_storefront(catalogue_client):
    product = ProductFactory(is_active=False)

    response = catalogue_client.get(url(product))

    assert response.status_code == 404


def test_reviews_of_a_missing_product_are_404(catalogue_client):
    response = catalogue_client.get("/api/v1/products/999999/reviews/")

    assert response.status_code == 404


@pytest.mark.parametrize("rows", [1, 10])
def test_review_list_runs_a_fixed_number_of_queries(
    catalogue_client, django_assert_num_queries, rows
):
    product = ProductFactory()
    for _ in range(rows):
        ReviewFactory(product=product)

    # API key lookup and update, the product check, the count and the page.
    with django_assert_num_queries(5):
        response = catalogue_client.get(url(product))

    assert len(response.json()["results"]) == rows


# --- Writing --------------------------------------------------------------------------------


def test_customer_reviews_a_product_they_bought(customer, customer_client):
    # Given a customer who received the product
    product = ProductFactory()
    bought(customer, product)

    # When they review it
    response = customer_client.post(
        url(product), {"rating": 5, "title": "Great", "text": "Would buy again"}
    )

    # Then the review is stored under their name
    assert response.status_code == 201
    review = Review.objects.get()
    assert (review.product, review.customer, review.rating, review.title, review.text) == (
        product,
        customer,
        5,
        "Great",
        "Would buy again",
    )
    assert response.json()["id"] == review.pk


def test_customer_whose_order_is_only_paid_may_review(customer, customer_client):
    product = ProductFactory()
    bought(customer, product, status=Order.Status.PAID)

    response = customer_client.post(url(product), {"rating": 4})

    assert response.status_code == 201


def test_customer_who_did_not_buy_the_product_cannot_review_it(customer_client):
    product = ProductFactory()

    response = customer_client.post(url(product), {"rating": 5})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only customers who bought this product can review it.",
        "code": "review_not_allowed",
    }
    assert Review.objects.count() == 0


def test_customer_whose_order_was_cancelled_cannot_review(customer, customer_client):
    product = ProductFactory()
    bought(customer, product, status=Order.Status.CANCELLED)

    response = customer_client.post(url(product), {"rating": 5})

    assert response.status_code == 403
    assert Review.objects.count() == 0


def test_another_customers_purchase_does_not_allow_a_review(customer_client):
    product = ProductFactory()
    bought(CustomerFactory(), product)

    response = customer_client.post(url(product), {"rating": 5})

    assert response.status_code == 403


def test_second_review_of_the_same_product_is_rejected(customer, customer_client):
    # Given a customer who already reviewed what they bought
    product = ProductFactory()
    bought(customer, product)
    ReviewFactory(product=product, customer=customer, rating=3)

    # When they send another review
    response = customer_client.post(url(product), {"rating": 1})

    # Then it is refused and the first one stays alone
    assert response.status_code == 400
    assert response.json() == {
        "detail": "You have already reviewed this product.",
        "code": "duplicate_review",
    }
    assert list(Review.objects.values_list("rating", flat=True)) == [3]


@pytest.mark.parametrize(
    ("rating", "error"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (6, "Ensure this value is less than or equal to 5."),
        ("five", "A valid integer is required."),
    ],
)
def test_rating_outside_one_to_five_is_a_field_error(customer, customer_client, rating, error):
    product = ProductFactory()
    bought(customer, product)

    response = customer_client.post(url(product), {"rating": rating})

    assert response.status_code == 400
    assert response.json() == {"rating": [error]}
    assert Review.objects.count() == 0


def test_missing_rating_is_a_field_error(customer, customer_client):
    product = ProductFactory()
    bought(customer, product)

    response = customer_client.post(url(product), {"title": "No stars"})

    assert response.status_code == 400
    assert response.json() == {"rating": ["This field is required."]}


def test_review_of_an_inactive_product_is_404(customer, customer_client):
    product = ProductFactory(is_active=False)
    bought(customer, product)

    response = customer_client.post(url(product), {"rating": 5})

    assert response.status_code == 404


def test_anonymous_caller_cannot_review(anonymous_client):
    product = ProductFactory()

    response = anonymous_client.post(url(product), {"rating": 5})

    assert response.status_code == 401


def test_storefront_key_cannot_review(catalogue_client):
    product = ProductFactory()

    response = catalogue_client.post(url(product), {"rating": 5})

    assert response.status_code == 403


def test_staff_who_is_not_a_customer_cannot_review(staff_user):
    product = ProductFactory()

    response = token_client(staff_user).post(url(product), {"rating": 5})

    assert response.status_code == 403


def test_user_who_is_not_a_customer_cannot_review(plain_user_client):
    product = ProductFactory()

    response = plain_user_client.post(url(product), {"rating": 5})

    assert response.status_code == 403
