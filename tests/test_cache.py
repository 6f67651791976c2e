"""The cache's versioned namespaces and the Redis backend's reused client (config.cache)."""

import pytest
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError

from config.cache import ReusedClientRedisCache, version_bump, versions
from shop.models import Product
from tests.factories.shop import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_version_stays_the_same_until_it_is_bumped():
    first = versions("things")

    assert versions("things") == first


def test_a_bump_changes_only_its_own_namespace():
    things, others = versions("things", "others")

    version_bump("things")

    new_things, new_others = versions("things", "others")
    assert new_things != things
    assert new_others == others


def test_a_lost_version_comes_back_as_a_new_one_never_an_old_one():
    before = versions("things")

    cache.clear()

    assert versions("things") != before


def test_a_bump_inside_a_transaction_bumps_again_when_it_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        version_bump("things")
        during = versions("things")

    assert versions("things") != during


def test_many_bumps_in_one_transaction_leave_one_bump_for_the_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(50):
            version_bump("things")
        version_bump("others")

    assert len(callbacks) == 2


def test_a_bump_in_a_rolled_back_savepoint_still_bumps_at_the_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                version_bump("things")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        version_bump("things")  # the savepoint's on-commit bump went with it: a new one
        during = versions("things")

    assert len(callbacks) == 1
    assert versions("things") != during


def test_a_change_is_saved_while_the_cache_is_unreachable(monkeypatch, caplog):
    product = ProductFactory(title="Old")

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "set", unreachable)
    product.title = "New"
    product.save()

    assert Product.objects.get(pk=product.pk).title == "New"
    assert "the catalogue cache version was not bumped" in caplog.text


def test_the_redis_backend_builds_one_client_for_all_calls():
    backend = ReusedClientRedisCache("redis://127.0.0.1:6379/15", {})

    # Building a client connects nothing, so no server is needed to compare them.
    first = backend._cache.get_client("a")
    again = backend._cache.get_client("b", write=True)

    assert first is again
