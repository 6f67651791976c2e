"""A customer-facing API call made from a page's JavaScript, with the customer's session:
it succeeds with the CSRF token in the X-CSRFToken header and is refused without it."""

import json

import pytest
from django.conf import settings
from django.test import Client

from shop.models import Review
from tests.factories.shop import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

playwright = pytest.importorskip(
    "playwright.sync_api", reason="needs the playwright package (pip install playwright)"
)
expect = playwright.expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# What a storefront page's script does: POST JSON with the session cookie, and the CSRF token
# (read from the csrftoken cookie) in the header when asked to.
POST_REVIEW = """
async ([url, body, withToken]) => {
  const token = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  const headers = {"Content-Type": "application/json", "Accept": "application/json"};
  if (withToken) headers["X-CSRFToken"] = decodeURIComponent(token);
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body),
  });
  return {status: response.status, body: await response.text(), hadToken: token !== ""};
}
"""


@pytest.fixture
def customer_session(page, live_server, django_user_model):
    """A customer who bought a product, logged in: the browser holds their session cookie."""
    user = django_user_model.objects.create_user(username="carla", password="unused-pw-123")
    customer = CustomerFactory(user=user)
    product = ProductFactory(title="Linen shirt")
    OrderItemFactory(order=OrderFactory(customer=customer), product=product)
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return customer, product


def test_a_session_post_from_page_javascript_needs_the_csrf_header(page, shot, customer_session):
    customer, product = customer_session
    url = f"/api/v1/products/{product.pk}/reviews/"
    body = {"rating": 5, "title": "Lovely", "text": "Soft and cool."}
    # A page of the product that sets the CSRF cookie and runs JavaScript: the API docs.
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui")).to_be_visible()

    refused = page.evaluate(POST_REVIEW, [url, body, False])

    assert refused["hadToken"] is True
    assert refused["status"] == 403
    assert "CSRF" in json.loads(refused["body"])["detail"]
    assert not Review.objects.exists()

    accepted = page.evaluate(POST_REVIEW, [url, body, True])

    assert accepted["status"] == 201, accepted["body"]
    review = Review.objects.get()
    assert (review.customer_id, review.product_id, review.rating) == (customer.pk, product.pk, 5)
    assert json.loads(accepted["body"])["title"] == "Lovely"
    shot("api-csrf-01-docs-page")
