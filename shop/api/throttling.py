"""Request throttles of the store's API. Rates live in settings.REST_FRAMEWORK."""

from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

from shop.api.authentication import StorefrontClient


class ApiKeyScopedRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle counted per API key.

    The stock class counts per `request.user.pk`, which every API-key client shares (it is
    None), so all storefronts would spend one budget; here each key has its own.
    """

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(user, StorefrontClient):
            return self.cache_format % {"scope": self.scope, "ident": f"api-key-{user.api_key.pk}"}
        return super().get_cache_key(request, view)


class CustomerTokenThrottle(AnonRateThrottle):
    """Slows password guessing on the token endpoint, per client address.

    Rate: DEFAULT_THROTTLE_RATES["auth_token"], or DEFAULT_RATE while settings give none.
    """

    scope = "auth_token"
    DEFAULT_RATE = "20/minute"

    def get_rate(self) -> str:
        return self.THROTTLE_RATES.get(self.scope, self.DEFAULT_RATE)
