"""Authentication of the storefront server by API key (`Authorization: Api-Key <key>`)."""

import hashlib
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from shop.models import ApiKey

KEYWORD = "Api-Key"


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class StorefrontClient:
    """The identity of a request made with an API key: not a person, only scopes."""

    is_authenticated = True
    is_staff = False
    is_active = True
    pk = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


LAST_USED_RESOLUTION = timedelta(minutes=1)
# A storefront calls many times a second with one key: a valid key is remembered this long in
# the cache, so most requests skip the lookup. Revoking deletes the entry (at once with a
# shared cache such as Redis; a per-process cache keeps it at most this long elsewhere).
API_KEY_CACHE_S = 10


def api_key_cache_key(key_hash: str) -> str:
    return f"api-key:{key_hash}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode(errors="ignore")
        if not header.startswith(f"{KEYWORD} "):
            return None
        raw_key = header[len(KEYWORD) + 1 :].strip()
        if not raw_key:
            raise exceptions.AuthenticationFailed("Empty API key.")
        key_hash = hash_api_key(raw_key)
        api_key = cache.get(api_key_cache_key(key_hash))
        if api_key is None:
            try:
                api_key = ApiKey.objects.get(key_hash=key_hash, is_active=True)
            except ApiKey.DoesNotExist as exc:
                raise exceptions.AuthenticationFailed("Invalid or revoked API key.") from exc
            cache.set(api_key_cache_key(key_hash), api_key, API_KEY_CACHE_S)
        now = timezone.now()
        # At most one write a minute per key: a storefront calls many times a second, and a
        # write on every request would serialise them on the database.
        if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
            cache.set(api_key_cache_key(key_hash), api_key, API_KEY_CACHE_S)
        return StorefrontClient(api_key), api_key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes API-key authentication in the OpenAPI schema."""

    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"The storefront server's key, sent as `{KEYWORD} <key>`.",
        }
