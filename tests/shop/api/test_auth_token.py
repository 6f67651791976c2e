import pytest
from rest_framework.authtoken.models import Token

from shop.api.throttling import CustomerTokenThrottle
from tests.factories.api import PASSWORD, CustomerFactory, StaffFactory, UserFactory

URL = "/api/v1/auth/token/"

pytestmark = pytest.mark.django_db


def test_customer_gets_their_token_for_username_and_password(anonymous_client):
    # Given a customer with a login
    customer = CustomerFactory()

    # When they exchange their credentials
    response = anonymous_client.post(
        URL, {"username": customer.user.username, "password": PASSWORD}
    )

    # Then they get their token
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=customer.user).key}


def test_customer_gets_the_same_token_twice(anonymous_client):
    customer = CustomerFactory()
    credentials = {"username": customer.user.username, "password": PASSWORD}

    first = anonymous_client.post(URL, credentials).json()["token"]
    second = anonymous_client.post(URL, credentials).json()["token"]

    assert first == second


def test_wrong_password_is_rejected_without_a_token(anonymous_client):
    customer = CustomerFactory()

    response = anonymous_client.post(URL, {"username": customer.user.username, "password": "no"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with these credentials."]}
    assert Token.objects.count() == 0


def test_user_who_is_not_a_customer_gets_no_token(anonymous_client):
    user = UserFactory()

    response = anonymous_client.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with these credentials."]}


def test_staff_user_gets_no_token_from_the_customer_endpoint(anonymous_client):
    staff = StaffFactory()

    response = anonymous_client.post(URL, {"username": staff.username, "password": PASSWORD})

    assert response.status_code == 400


def test_missing_fields_are_field_errors(anonymous_client):
    response = anonymous_client.post(URL, {})

    assert response.status_code == 400
    assert response.json() == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }


def test_a_stale_authorization_header_does_not_block_the_login(anonymous_client):
    customer = CustomerFactory()
    anonymous_client.credentials(HTTP_AUTHORIZATION="Api-Key not-a-real-key")

    response = anonymous_client.post(
        URL, {"username": customer.user.username, "password": PASSWORD}
    )

    assert response.status_code == 200


def test_password_guessing_is_throttled(anonymous_client, monkeypatch):
    # Given a limit of two attempts a minute
    monkeypatch.setattr(CustomerTokenThrottle, "THROTTLE_RATES", {"auth_token": "2/minute"})
    customer = CustomerFactory()
    guess = {"username": customer.user.username, "password": "guess"}

    # When a third attempt comes within the minute
    statuses = [anonymous_client.post(URL, guess).status_code for _ in range(3)]

    # Then it is refused
    assert statuses == [400, 400, 429]
