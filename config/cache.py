"""The cache: a Redis backend that keeps its client, and versioned namespaces for read-mostly
data that the API caches (the catalogue, the ads on offer).

A namespace's version is a random token stored in the cache. Cached entries put it in their
keys, so changing the version (`version_bump`) makes every entry of the namespace unreachable
at once, with no need to know which keys exist. A random token (never a counter) means an
entry made before the cache lost the version key can never be reached again either.
"""

from __future__ import annotations

import logging
import secrets

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every cache call (about 60 µs, half of a
    local GET, measured); one client per connection pool serves them all. redis-py clients are
    thread-safe: a connection is taken from the pool only for the length of a command."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with the reused client above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


def _version_key(namespace: str) -> str:
    return f"version:{namespace}"


def versions(*namespaces: str) -> tuple[str, ...]:
    """The current version of each namespace (one cache round trip when all exist); a namespace
    without one (first use, or the cache lost it) gets a fresh one."""
    keys = [_version_key(namespace) for namespace in namespaces]
    found = cache.get_many(keys)
    result = []
    for key in keys:
        version = found.get(key)
        if version is None:
            # add(), not set(): of two processes that both find none, both use the first one.
            fresh = secrets.token_hex(8)
            version = fresh if cache.add(key, fresh, timeout=None) else cache.get(key, fresh)
        result.append(version)
    return tuple(result)


class _VersionBump:
    """Sets a new version of `namespace`; an object, so that a pending one can be recognised
    among the transaction's on-commit callbacks."""

    def __init__(self, namespace: str):
        self.namespace = namespace

    def __call__(self) -> None:
        try:
            cache.set(_version_key(self.namespace), secrets.token_hex(8), timeout=None)
        except RedisError:
            # The write that changed the data must not fail for the cache: its entries then
            # expire on their own (each namespace's users cache for minutes at most).
            logger.warning("Cache unreachable: the %s cache version was not bumped", self.namespace)


def version_bump(namespace: str) -> None:
    """Make every cached entry of the namespace stale: now, and again once the current
    transaction commits (a request that read the rows between the two would otherwise cache
    the old rows under the new version). Outside a transaction, the two happen at once.

    Bulk deletes call this once per row: the transaction gets one on-commit bump, not one per
    row.
    """
    bump = _VersionBump(namespace)
    bump()
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return  # autocommit: the change is committed already
    pending = any(
        isinstance(func, _VersionBump) and func.namespace == namespace
        for _savepoints, func, _robust in connection.run_on_commit
    )
    if not pending:
        transaction.on_commit(bump)
