"""DRF throttles backed by the default cache (Redis when REDIS_URL is set).

DRF's classes read their rates once, at import; these read them on each request so that
settings overrides (tests, ops) take effect.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings


class _LiveRatesMixin:
    def get_rate(self) -> str | None:
        scope = getattr(self, "scope", None)
        if not scope:
            return None
        try:
            rate = api_settings.DEFAULT_THROTTLE_RATES[scope]
        except KeyError:
            raise ImproperlyConfigured(f"No throttle rate set for scope {scope!r}.") from None
        return None if rate is None else str(rate)


class AnonRateThrottle(_LiveRatesMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_LiveRatesMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_LiveRatesMixin, throttling.ScopedRateThrottle):
    """Applies only to views that set `throttle_scope` (auth, uploads, submissions)."""
