"""Fixtures and rules shared by every app's tests.

Tests marked `postgres` or `redis` need the real service, and tests marked `browser` need
Debian's Chromium (CHROMIUM_PATH) and Playwright. Where one is missing they are skipped;
under CI=true a missing service is a failure, never a skip.
"""

import importlib.util
import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

pytest_plugins = ["lms.testing.fixtures", "lms.testing.browser"]

IN_CI = os.environ.get("CI", "").lower() == "true"
# Playwright drives the distribution's browser; `playwright install` is never used.
CHROMIUM_PATH = "/usr/bin/chromium"


def _missing_service(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL"
    if marker == "redis" and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL"
    if marker == "browser":
        if not os.access(CHROMIUM_PATH, os.X_OK):
            return f"needs Chromium at {CHROMIUM_PATH}: apt-get install -y chromium"
        if importlib.util.find_spec("playwright") is None:
            return "needs playwright: pip install -r requirements/dev.txt"
    if marker == "wrk" and shutil.which("wrk") is None:
        return "needs wrk: apt-get install -y wrk"
    return None


@pytest.fixture(autouse=True)
def _require_marked_services(request: pytest.FixtureRequest) -> None:
    for marker in ("postgres", "redis", "browser", "wrk"):
        if request.node.get_closest_marker(marker) is None:
            continue
        reason = _missing_service(marker)
        if reason is None:
            continue
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: services are required)")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Throttle counters and cached reads must not leak between tests.

    Under Redis this flushes only the test database number (REDIS_URL points at it).
    """
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
