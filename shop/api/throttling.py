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


class WindowCounterThrottle(SimpleRateThrottle):
    """A sliding-window counter: constant work and two small cache entries per caller.

    DRF's stock throttle keeps, per caller, a list with one timestamp per request of the
    last `duration` seconds, and reads and rewrites all of it on every request: for a
    storefront at its default 6,000/minute that is up to 6,000 floats (some 54 kB pickled, at
    9 bytes a float) fetched and stored per request. Here each fixed window of `duration`
    seconds has a counter, and the requests of the last `duration` seconds are estimated as

        previous window's count x (share of it still inside the last `duration` s)
        + this window's count,

    which assumes the previous window's requests were spread evenly (the "sliding window
    counter"). Bursts at the very start of a rate's window are therefore counted exactly,
    older ones approximately. A refused request is not counted.
    """

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, self.into_window = divmod(self.now, self.duration)
        current, previous = f"{self.key}:{int(window)}", f"{self.key}:{int(window) - 1}"
        counts = self.cache.get_many([current, previous])
        self.current_count = counts.get(current, 0)
        self.previous_count = counts.get(previous, 0)
        overlap = 1.0 - self.into_window / self.duration
        if self.previous_count * overlap + self.current_count >= self.num_requests:
            return self.throttle_failure()
        # The next window still reads this one as its previous: keep it two windows.
        if not self.cache.add(current, 1, timeout=2 * self.duration):
            try:
                self.cache.incr(current)
            except ValueError:  # expired between the two calls
                self.cache.set(current, 1, timeout=2 * self.duration)
        return True

    def wait(self) -> float:
        """Seconds until the estimate falls below the limit, if the caller sends nothing more."""
        if self.current_count >= self.num_requests:
            # After this window ends, its count fades as the next window goes by.
            fading = self.duration * (1.0 - self.num_requests / self.current_count)
            return self.duration - self.into_window + fading
        # The previous window's share has to fade until the estimate is below the limit.
        share = (self.num_requests - self.current_count) / self.previous_count
        return max(self.duration * (1.0 - share) - self.into_window, 0.001)


class CallerRateThrottle(RatesFromSettingsMixin, WindowCounterThrottle):
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
