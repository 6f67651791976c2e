import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from shop.models import ApiKey
from tests.factories.api import (
    CustomerFactory,
    StaffFactory,
    UserFactory,
    api_key_client,
    grant,
    session_client,
    token_client,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_throttle_history() -> None:
    # Throttles count in the cache, which outlives a test; each test starts with a fresh count.
    cache.clear()


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def catalogue_client(db) -> APIClient:
    return api_key_client(ApiKey.Scope.CATALOGUE_READ)


@pytest.fixture
def events_client(db) -> APIClient:
    return api_key_client(ApiKey.Scope.EVENTS_WRITE)


@pytest.fixture
def staff_user(db):
    """Staff who may view every customer's orders."""
    return grant(StaffFactory(), "shop.view_order")


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return session_client(staff_user)


@pytest.fixture
def customer(db):
    return CustomerFactory()


@pytest.fixture
def customer_client(customer) -> APIClient:
    return token_client(customer.user)


@pytest.fixture
def plain_user_client(db) -> APIClient:
    """A logged-in user who is neither staff nor a customer."""
    return token_client(UserFactory())
