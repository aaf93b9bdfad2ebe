"""Fixtures of the payments tests: a paid course with its team (the shared cast and
course builder of lms.testing), and the Stripe side (localstripe in a subprocess for the
session, the Checkout fake, keys).

localstripe is started once per test session on a free loopback port and stopped after.
If it cannot start, its tests are skipped, except under CI=true where that is a failure.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from courses.models import Course
from lms.outbox.tests.conftest import celery_worker, redis_broker  # noqa: F401  # real worker
from lms.testing import Cast, make_course
from payments.tests.stripe_servers import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    FakeCheckout,
    LocalStripe,
    in_ci,
)


def make_paid_course(
    cast: Cast | None = None, *, price: int = 4900, currency: str = "USD", **fields: Any
) -> Course:
    """A published course of one lesson at `price` (minor units), with the cast's team."""
    return make_course(cast, lessons=1, price_amount=price, currency=currency, **fields)


@pytest.fixture
def course(cast: Cast) -> Course:
    return make_paid_course(cast)


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    server = LocalStripe()
    try:
        server.start()
    except Exception as exc:
        if in_ci():
            pytest.fail(f"localstripe did not start (CI=true: required): {exc}")
        pytest.skip(f"localstripe did not start: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def checkout_fake() -> Iterator[FakeCheckout]:
    fake = FakeCheckout()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def stripe_on(settings, localstripe: LocalStripe, checkout_fake: FakeCheckout) -> FakeCheckout:
    """Payments configured: the SDK talks to localstripe, Checkout to the fake."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_CHECKOUT_API_BASE = checkout_fake.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with checkout_fake.lock:
        checkout_fake.sessions.clear()
        checkout_fake.requests.clear()
    return checkout_fake


@pytest.fixture
def stripe_off(settings) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
