import hashlib

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from shop.models import ApiKey
from shop.services import api_key_issue, api_key_revoke
from tests.factories.api import StaffFactory

pytestmark = pytest.mark.django_db

PRODUCTS_URL = "/api/v1/products/"


def test_issued_key_stores_only_the_sha256_of_the_raw_key():
    staff = StaffFactory()

    api_key, raw_key = api_key_issue(
        name="Storefront", scopes=[ApiKey.Scope.CATALOGUE_READ], created_by=staff
    )

    api_key.refresh_from_db()
    assert api_key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert raw_key not in {api_key.prefix, api_key.key_hash, api_key.name}


def test_issued_key_starts_with_its_stored_prefix():
    api_key, raw_key = api_key_issue(
        name="Storefront", scopes=[ApiKey.Scope.CATALOGUE_READ], created_by=None
    )

    assert raw_key.startswith(f"{api_key.prefix}.")
    assert len(api_key.prefix) == 8


def test_issued_key_records_its_scopes_and_creator():
    staff = StaffFactory()

    api_key, _raw_key = api_key_issue(
        name="Storefront",
        scopes=[ApiKey.Scope.EVENTS_WRITE, ApiKey.Scope.CATALOGUE_READ],
        created_by=staff,
    )

    api_key.refresh_from_db()
    assert api_key.scopes == ["events:write", "catalogue:read"]
    assert api_key.created_by == staff
    assert api_key.is_active is True


def test_two_issued_keys_differ():
    _first, first_raw = api_key_issue(name="a", scopes=["catalogue:read"], created_by=None)
    _second, second_raw = api_key_issue(name="b", scopes=["catalogue:read"], created_by=None)

    assert first_raw != second_raw


def test_unknown_scope_is_refused_and_nothing_is_saved():
    with pytest.raises(ValidationError) as excinfo:
        api_key_issue(name="Storefront", scopes=["catalogue:write"], created_by=None)

    assert excinfo.value.message_dict == {"scopes": ["Unknown scope(s): catalogue:write."]}
    assert ApiKey.objects.count() == 0


def test_key_without_scopes_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        api_key_issue(name="Storefront", scopes=[], created_by=None)

    assert excinfo.value.message_dict == {"scopes": ["Give the key at least one scope."]}


def test_key_without_a_name_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        api_key_issue(name="  ", scopes=["catalogue:read"], created_by=None)

    assert excinfo.value.message_dict == {"name": ["Give the key a name."]}


def test_issued_key_authenticates_a_request():
    _api_key, raw_key = api_key_issue(name="s", scopes=["catalogue:read"], created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")

    response = client.get(PRODUCTS_URL)

    assert response.status_code == 200


def test_request_records_when_the_key_was_last_used():
    api_key, raw_key = api_key_issue(name="s", scopes=["catalogue:read"], created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")

    client.get(PRODUCTS_URL)

    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_revoked_key_no_longer_authenticates():
    # Given a key that worked, then was revoked
    api_key, raw_key = api_key_issue(name="s", scopes=["catalogue:read"], created_by=None)
    api_key_revoke(api_key=api_key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")

    # When it is used
    response = client.get(PRODUCTS_URL)

    # Then the request is unauthenticated
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API key."}


def test_revoking_twice_leaves_the_key_revoked():
    api_key, _raw_key = api_key_issue(name="s", scopes=["catalogue:read"], created_by=None)

    api_key_revoke(api_key=api_key)
    api_key_revoke(api_key=api_key)

    api_key.refresh_from_db()
    assert api_key.is_active is False


def test_unknown_key_is_unauthenticated():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-issued")

    response = client.get(PRODUCTS_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"


def test_last_used_is_written_at_most_once_a_minute():
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    api_key, raw_key = api_key_issue(name="s", scopes=["catalogue:read"], created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    client.get(PRODUCTS_URL)
    api_key.refresh_from_db()
    first = api_key.last_used_at
    client.get(PRODUCTS_URL)
    api_key.refresh_from_db()
    assert api_key.last_used_at == first  # the second request within a minute wrote nothing
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=first - timedelta(minutes=2))
    cache.clear()  # the authenticated key is remembered for seconds; let it expire
    client.get(PRODUCTS_URL)
    api_key.refresh_from_db()
    assert api_key.last_used_at > first - timedelta(seconds=1)
    assert api_key.last_used_at <= timezone.now()


def test_a_revoked_key_fails_at_once_although_valid_keys_are_remembered():
    api_key, raw_key = api_key_issue(name="s", scopes=["catalogue:read"], created_by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get(PRODUCTS_URL).status_code == 200
    api_key_revoke(api_key=api_key)
    assert client.get(PRODUCTS_URL).status_code == 401
