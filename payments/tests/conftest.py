"""Fixtures of the payments tests: a paid course with its team, people per role, and the
Stripe side (localstripe in a subprocess for the session, the Checkout fake, keys).

localstripe is started once per test session on a free loopback port and stopped after.
If it cannot start, its tests are skipped, except under CI=true where that is a failure.
"""

from collections.abc import Iterator

import pytest

from accounts.tests.auth_helpers import client_for
from accounts.tests.conftest import smtp_server  # noqa: F401  # reused: real SMTP server
from courses.models import Course
from enrollments.tests import conftest as enrollments_fixtures
from enrollments.tests.conftest import ROLES, People, make_course
from lms.outbox.tests.conftest import celery_worker, redis_broker  # noqa: F401  # real worker
from payments.tests.stripe_servers import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    FakeCheckout,
    LocalStripe,
    in_ci,
)

__all__ = ["ROLES", "People", "as_client", "make_paid_course"]

# The enrollments tests' people (fixture) and course team; a paid course has one lesson.
people = enrollments_fixtures.people
as_client = client_for


def make_paid_course(
    people: People | None = None, *, price: int = 4900, currency: str = "USD", **kwargs
) -> Course:
    return make_course(people, lessons=1, price_amount=price, currency=currency, **kwargs)


@pytest.fixture
def course(people: People) -> Course:
    return make_paid_course(people)


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
