"""The join rule, `enrollment_join_check` (payments' checkout asks it before taking money),
and enrollment_create(source="paid") as the payments webhook calls it: a paid learner has
paid already, so the seat is granted like a staff grant (window and capacity were checked
at checkout), a waitlisted learner is seated, and a revoked one is still refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from courses.models import Course
from enrollments.models import Enrollment
from enrollments.services import (
    enrollment_create,
    enrollment_join_check,
    enrollment_revoke,
)
from lms.errors import ServiceError
from lms.testing import make_course, unchanged

pytestmark = pytest.mark.django_db


def refusal(call) -> tuple[str, int]:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value.code, caught.value.status


def test_paid_source_enrolls_in_a_paid_course_and_self_does_not(cast):
    course = make_course(cast, price_amount=4900)
    with unchanged(course, counts=(Enrollment,)):
        code = refusal(lambda: enrollment_create(user=cast.student, course=course))
    assert code == ("payment_required", 402)
    enrollment = enrollment_create(user=cast.student, course=course, source="paid")
    assert (enrollment.status, enrollment.source) == ("active", "paid")
    with unchanged(enrollment, counts=(Enrollment,)):
        code = refusal(lambda: enrollment_create(user=cast.student, course=course, source="paid"))
    assert code == ("already_enrolled", 409)


def test_paid_source_gets_a_seat_when_full_or_closed(cast):
    course = make_course(cast, price_amount=4900, capacity=1)
    enrollment_create(user=cast.other_student, course=course, source="staff")
    seated = enrollment_create(user=cast.student, course=course, source="paid")
    assert seated.status == "active"
    course.refresh_from_db()
    assert course.enrollment_count == 2

    closed = make_course(cast, price_amount=100, enrollment_closes_at=timezone.now() - timedelta(1))
    assert enrollment_create(user=cast.student, course=closed, source="paid").status == "active"


def test_paid_source_seats_a_waitlisted_learner(cast):
    course = make_course(cast, price_amount=0, capacity=1)
    enrollment_create(user=UserFactory(), course=course)
    waiting = enrollment_create(user=cast.student, course=course)
    assert waiting.status == "waitlisted"
    with unchanged(waiting, counts=(Enrollment,)):
        code = refusal(lambda: enrollment_create(user=cast.student, course=course))
    assert code == ("already_enrolled", 409)  # self: still in the queue
    seated = enrollment_create(user=cast.student, course=course, source="paid")
    assert seated.pk == waiting.pk
    assert (seated.status, seated.source) == ("active", "paid")


def test_paid_source_does_not_undo_a_revocation(cast):
    course = make_course(cast, price_amount=4900)
    enrollment = enrollment_create(user=cast.student, course=course, source="paid")
    enrollment_revoke(enrollment=enrollment, by=None)  # the system (a refund)
    enrollment.refresh_from_db()
    with unchanged(enrollment, counts=(Enrollment,)):
        code = refusal(lambda: enrollment_create(user=cast.student, course=course, source="paid"))
    assert code == ("enrollment_revoked", 403)


# --- the join check, as payments' checkout asks it ------------------------------------------


def check(course: Course, user=None, source: str = "self") -> tuple[str, int] | None:
    try:
        enrollment_join_check(course=course, user=user, source=source)
    except ServiceError as exc:
        return exc.code, exc.status
    return None


def test_join_check_course_state_refuses_every_source(cast):
    draft = make_course(cast, published=False, price_amount=100)
    archived = make_course(
        cast, status=Course.Status.ARCHIVED, archived_at=timezone.now(), price_amount=100
    )
    for source in ("self", "paid", "staff", "bulk"):
        assert check(draft, cast.student, source) == ("course_not_published", 403)
        assert check(archived, cast.student, source) == ("course_archived", 403)


def test_join_check_window_applies_to_self_and_checkout_not_to_staff(cast):
    now = timezone.now()
    closed = make_course(cast, price_amount=100, enrollment_closes_at=now - timedelta(days=1))
    early = make_course(cast, enrollment_opens_at=now + timedelta(days=1))
    for course in (closed, early):
        assert check(course, cast.student, "self") == ("enrollment_closed", 403)
        assert check(course, cast.student, "paid") == ("enrollment_closed", 403)
        assert check(course, cast.student, "staff") is None


def test_join_check_price_and_seats(cast):
    paid_full = make_course(cast, price_amount=4900, capacity=1)
    assert check(paid_full, cast.student, "self")[0] == "payment_required"
    assert check(paid_full, cast.student, "paid") is None
    enrollment_create(user=cast.other_student, course=paid_full, source="paid")
    # Nobody pays for a seat they cannot have; staff still grant one.
    assert check(paid_full, cast.student, "paid") == ("course_full", 409)
    assert check(paid_full, cast.student, "staff") is None
    # A free full course is not refused: the learner joins the waitlist.
    free_full = make_course(cast, capacity=1)
    enrollment_create(user=cast.other_student, course=free_full)
    assert check(free_full, cast.student, "self") is None


def test_join_check_the_learners_own_row(cast):
    course = make_course(cast, price_amount=4900)
    assert check(course, cast.student, "paid") is None
    enrollment = enrollment_create(user=cast.student, course=course, source="paid")
    assert check(course, cast.student, "paid") == ("already_enrolled", 409)
    assert check(course, None, "paid") is None  # without a user: the course only
    enrollment_revoke(enrollment=enrollment, by=cast.owner)
    assert check(course, cast.student, "paid") == ("enrollment_revoked", 403)
    assert check(course, cast.student, "staff") is None  # staff may add them again
