"""Fixtures of the payments tests: a paid course with its team, people per role, and the
Stripe side (localstripe in a subprocess for the session, the Checkout fake, keys).

localstripe is started once per test session on a free loopback port and stopped after.
If it cannot start, its tests are skipped, except under CI=true where that is a failure.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.auth_helpers import client_for
from accounts.tests.conftest import smtp_server  # noqa: F401  # reused: real SMTP server
from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory
from courses.models import Course, CourseStaff
from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from lms.outbox.tests.conftest import celery_worker, redis_broker  # noqa: F401  # real worker
from payments.tests.stripe_servers import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    FakeCheckout,
    LocalStripe,
    in_ci,
)

ROLES = ("anonymous", "student", "other_student", "instructor", "other_instructor", "admin")


@dataclass
class People:
    owner: User
    instructor: User
    ta: User
    other_instructor: User
    student: User
    other_student: User
    admin: User

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def people(db) -> People:
    return People(
        owner=InstructorFactory(),
        instructor=InstructorFactory(),
        ta=UserFactory(),
        other_instructor=InstructorFactory(),
        student=UserFactory(),
        other_student=UserFactory(),
        admin=AdminFactory(),
    )


def make_paid_course(
    people: People | None = None, *, price: int = 4900, currency: str = "USD", **kwargs
) -> Course:
    kwargs.setdefault("published", True)
    course = CourseFactory(price_amount=price, currency=currency, **kwargs)
    if people is not None:
        CourseStaff.objects.create(course=course, user=people.owner, role="owner")
        CourseStaff.objects.create(course=course, user=people.instructor, role="instructor")
        CourseStaff.objects.create(course=course, user=people.ta, role="ta")
    LessonFactory(module=ModuleFactory(course=course))
    return course


@pytest.fixture
def course(people: People) -> Course:
    return make_paid_course(people)


def as_client(user: User | None) -> APIClient:
    return client_for(user)


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
