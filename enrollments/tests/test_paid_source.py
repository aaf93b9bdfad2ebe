"""enrollment_create(source="paid"), as the payments webhook calls it: a paid learner has
paid already, so the seat is granted like a staff grant (window and capacity were checked
at checkout), a waitlisted learner is seated, and a revoked one is still refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from enrollments.services import (
    EnrollmentConflict,
    EnrollmentRefused,
    PaymentRequired,
    enrollment_create,
    enrollment_revoke,
)
from enrollments.tests.conftest import make_course

pytestmark = pytest.mark.django_db


def test_paid_source_enrolls_in_a_paid_course_and_self_does_not(people):
    course = make_course(people, price_amount=4900)
    with pytest.raises(PaymentRequired):
        enrollment_create(user=people.student, course=course)
    enrollment = enrollment_create(user=people.student, course=course, source="paid")
    assert (enrollment.status, enrollment.source) == ("active", "paid")
    with pytest.raises(EnrollmentConflict):
        enrollment_create(user=people.student, course=course, source="paid")


def test_paid_source_gets_a_seat_when_full_or_closed(people):
    course = make_course(people, price_amount=4900, capacity=1)
    enrollment_create(user=people.other_student, course=course, source="staff")
    seated = enrollment_create(user=people.student, course=course, source="paid")
    assert seated.status == "active"
    course.refresh_from_db()
    assert course.enrollment_count == 2

    closed = make_course(
        people, price_amount=100, enrollment_closes_at=timezone.now() - timedelta(1)
    )
    assert enrollment_create(user=people.student, course=closed, source="paid").status == "active"


def test_paid_source_seats_a_waitlisted_learner(people):
    course = make_course(people, price_amount=0, capacity=1)
    enrollment_create(user=UserFactory(), course=course)
    waiting = enrollment_create(user=people.student, course=course)
    assert waiting.status == "waitlisted"
    with pytest.raises(EnrollmentConflict):
        enrollment_create(user=people.student, course=course)  # self: still already_enrolled
    seated = enrollment_create(user=people.student, course=course, source="paid")
    assert seated.pk == waiting.pk
    assert (seated.status, seated.source) == ("active", "paid")


def test_paid_source_does_not_undo_a_revocation(people):
    course = make_course(people, price_amount=4900)
    enrollment = enrollment_create(user=people.student, course=course, source="paid")
    enrollment_revoke(enrollment=enrollment, by=None)  # the system (a refund)
    with pytest.raises(EnrollmentRefused):
        enrollment_create(user=people.student, course=course, source="paid")
