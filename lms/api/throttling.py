"""DRF throttles counted in the default cache (Redis when REDIS_URL is set).

DRF's own classes keep a list of every request's timestamp in one cache entry, read and
rewritten whole on each request: the work grows with the rate, and two concurrent requests
can both read the old list and lose a count. These count in fixed windows instead: one
atomic INCR per request (with its expiry in the same round trip on Redis), whatever the
rate. A window lets at most twice the rate through across its boundary, the usual price of
fixed windows.

Rates are read on each request, so settings overrides (tests, ops) take effect.

Redis down (docs/decisions/0013-redis-down.md): throttles fail open. A request whose
counter cannot be reached is let through, unthrottled; brute force on passwords is still
bounded by the lockout, which lives in the database. The cache backend logs the outage
once per window; a throttle logs nothing per request.
"""

import math
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings


def _count_in_window(key: str, ttl: int) -> int | None:
    """Adds one to the window's counter and returns it; None when Redis is unavailable."""
    incr_with_ttl = getattr(cache, "incr_with_ttl", None)
    if incr_with_ttl is not None:  # the platform's Redis backend: one round trip
        count: int | None = incr_with_ttl(key, ttl)
        return count
    # The embedded default (local memory), which cannot fail.
    cache.add(key, 0, ttl)
    return int(cache.incr(key))


class _WindowCounterMixin:
    scope: str | None
    rate: str | None
    num_requests: Any
    duration: Any
    key: str | None
    timer: Any

    def get_rate(self) -> str | None:
        scope = getattr(self, "scope", None)
        if not scope:
            return None
        try:
            rate = api_settings.DEFAULT_THROTTLE_RATES[scope]
        except KeyError:
            raise ImproperlyConfigured(f"No throttle rate set for scope {scope!r}.") from None
        return None if rate is None else str(rate)

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self._window_ends_at = (window + 1) * self.duration
        self._now = now
        count = _count_in_window(f"{self.key}:w{window}", self.duration)
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        """Seconds until the window ends (the Retry-After header)."""
        return max(1, math.ceil(self._window_ends_at - self._now))


class AnonRateThrottle(_WindowCounterMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_WindowCounterMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_WindowCounterMixin, throttling.ScopedRateThrottle):
    """Applies only to views that set `throttle_scope` (auth, uploads, submissions)."""

    def allow_request(self, request: Any, view: Any) -> bool:
        # As DRF's: the scope (and so the rate) comes from the view, at request time.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
