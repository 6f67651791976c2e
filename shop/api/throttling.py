"""Request throttles of the API. Rates live in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
(each overridable by an environment variable, see docs/operations.md).

Every endpoint runs `CallerRateThrottle` (settings' DEFAULT_THROTTLE_CLASSES); the customer
token and event ingest endpoints add a tighter scoped throttle of their own. A refused request
is a 429 with a Retry-After header.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, SimpleRateThrottle

from shop.api.authentication import StorefrontClient


class RatesFromSettingsMixin:
    """Reads the rates from settings on every request.

    DRF copies DEFAULT_THROTTLE_RATES into a class attribute at import time, so a changed
    setting (a test's override, for one) would otherwise never reach the throttles.
    """

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # noqa: N802 (DRF's attribute name)
        return api_settings.DEFAULT_THROTTLE_RATES


class CallerRateThrottle(RatesFromSettingsMixin, SimpleRateThrottle):
    """One budget per caller: per API key (scope `storefront`), per user (`user`), or per
    client address for anonymous requests (`anon`)."""

    def __init__(self):
        # The scope, and so the rate, depends on the caller: it is chosen per request.
        pass

    def allow_request(self, request, view) -> bool:
        user = request.user
        if isinstance(user, StorefrontClient):
            self.scope = "storefront"
        elif user and user.is_authenticated:
            self.scope = "user"
        else:
            self.scope = "anon"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        user = request.user
        if isinstance(user, StorefrontClient):
            ident = f"api-key-{user.api_key.pk}"
        elif user and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiKeyScopedRateThrottle(RatesFromSettingsMixin, ScopedRateThrottle):
    """ScopedRateThrottle counted per API key.

    The stock class counts per `request.user.pk`, which every API-key client shares (it is
    None), so all storefronts would spend one budget; here each key has its own.
    """

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(user, StorefrontClient):
            return self.cache_format % {"scope": self.scope, "ident": f"api-key-{user.api_key.pk}"}
        return super().get_cache_key(request, view)


class CustomerTokenThrottle(RatesFromSettingsMixin, AnonRateThrottle):
    """Slows password guessing on the token endpoint, per client address.

    Rate: DEFAULT_THROTTLE_RATES["auth_token"], or DEFAULT_RATE while settings give none.
    """

    scope = "auth_token"
    DEFAULT_RATE = "20/minute"

    def get_rate(self) -> str:
        return self.THROTTLE_RATES.get(self.scope, self.DEFAULT_RATE)
