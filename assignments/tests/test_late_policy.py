"""Late policy on submit: on time, late with a penalty per started day, the floor,
refusal; the learner's accommodation and a staff extension shift the due date."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from assignments.models import Submission
from assignments.services import extension_grant, grade_submission, submission_create
from assignments.tests.factories import make_assignment
from enrollments.models import Enrollment
from enrollments.services import enrollment_accommodations_set
from lms.errors import ServiceError
from lms.testing import unchanged

pytestmark = pytest.mark.django_db

DUE = timezone.now().replace(microsecond=0) + timedelta(days=10)


def penalty(**fields):
    fields.setdefault("late_policy", "penalty")
    fields.setdefault("late_penalty_per_day", Decimal("10"))
    fields.setdefault("due_at", DUE)
    return fields


def test_on_time_is_not_late(people, course):
    assignment = make_assignment(course, **penalty())
    sub = submission_create(assignment=assignment, user=people.student, text="x", at=DUE)
    assert (sub.is_late, sub.days_late, sub.penalty_percent) == (False, 0, Decimal("0"))
    assert sub.effective_due_at == DUE


@pytest.mark.parametrize(
    ("late_by", "days", "percent"),
    [
        (timedelta(seconds=1), 1, Decimal("10")),
        (timedelta(hours=23, minutes=59), 1, Decimal("10")),
        (timedelta(days=1, seconds=1), 2, Decimal("20")),
        (timedelta(days=3), 3, Decimal("30")),
    ],
)
def test_late_penalty_per_started_day(people, course, late_by, days, percent):
    assignment = make_assignment(course, **penalty())
    sub = submission_create(assignment=assignment, user=people.student, text="x", at=DUE + late_by)
    assert (sub.is_late, sub.days_late, sub.penalty_percent) == (True, days, percent)
    grade = grade_submission(submission=sub, by=people.owner, points=80, release=True)
    assert grade.raw_points == Decimal("80")
    assert grade.points == Decimal("80") * (100 - percent) / 100


def test_penalty_stops_at_the_floor(people, course):
    assignment = make_assignment(course, **penalty(late_penalty_floor=Decimal("65")))
    sub = submission_create(
        assignment=assignment, user=people.student, text="x", at=DUE + timedelta(days=9)
    )
    assert sub.days_late == 9
    assert sub.penalty_percent == Decimal("35")  # 90 % would leave less than the 65 % floor
    grade = grade_submission(submission=sub, by=people.owner, points=100, release=True)
    assert grade.points == Decimal("65.00")


def test_accept_policy_flags_without_penalty(people, course):
    assignment = make_assignment(course, due_at=DUE, late_policy="accept")
    sub = submission_create(
        assignment=assignment, user=people.student, text="x", at=DUE + timedelta(days=2)
    )
    assert (sub.is_late, sub.days_late, sub.penalty_percent) == (True, 2, Decimal("0"))


def test_refuse_policy_refuses_late_work_and_stores_nothing(people, course):
    assignment = make_assignment(course, due_at=DUE, late_policy="refuse")
    with unchanged(assignment, counts=(Submission,)), pytest.raises(ServiceError) as refused:
        submission_create(
            assignment=assignment, user=people.student, text="x", at=DUE + timedelta(minutes=1)
        )
    assert (refused.value.code, refused.value.status) == ("late_refused", 403)
    assert not assignment.submissions.exists()
    ok = submission_create(assignment=assignment, user=people.student, text="x", at=DUE)
    assert not ok.is_late


def test_accommodation_shifts_the_due_date(people, course):
    assignment = make_assignment(course, due_at=DUE, late_policy="refuse")
    enrollment = Enrollment.objects.get(user=people.student, course=course)
    enrollment_accommodations_set(enrollment=enrollment, by=people.owner, deadline_extension_days=3)
    sub = submission_create(
        assignment=assignment, user=people.student, text="x", at=DUE + timedelta(days=2)
    )
    assert sub.effective_due_at == DUE + timedelta(days=3)
    assert not sub.is_late
    # The other learner has no accommodation: refused at the same time.
    with unchanged(counts=(Submission,)), pytest.raises(ServiceError):
        submission_create(
            assignment=assignment,
            user=people.other_student,
            text="x",
            at=DUE + timedelta(days=2),
        )


def test_extension_and_accommodation_add_up_and_shift_the_penalty(people, course):
    assignment = make_assignment(course, **penalty())
    enrollment = Enrollment.objects.get(user=people.student, course=course)
    enrollment_accommodations_set(enrollment=enrollment, by=people.owner, deadline_extension_days=1)
    extension_grant(assignment=assignment, user=people.student, extra_days=2, by=people.owner)
    sub = submission_create(
        assignment=assignment, user=people.student, text="x", at=DUE + timedelta(days=3, hours=5)
    )
    assert sub.effective_due_at == DUE + timedelta(days=3)
    assert (sub.is_late, sub.days_late, sub.penalty_percent) == (True, 1, Decimal("10"))


def test_availability_window_moves_with_the_extension(people, course):
    until = DUE + timedelta(days=1)
    assignment = make_assignment(course, due_at=DUE, available_until=until)
    with unchanged(counts=(Submission,)), pytest.raises(ServiceError) as closed:
        submission_create(
            assignment=assignment, user=people.student, text="x", at=until + timedelta(hours=1)
        )
    assert closed.value.code == "assignment_closed"
    extension_grant(assignment=assignment, user=people.student, extra_days=2, by=people.owner)
    sub = submission_create(
        assignment=assignment, user=people.student, text="x", at=until + timedelta(hours=1)
    )
    assert not sub.is_late


def test_not_yet_available_and_resubmission_limit(people, course):
    later = make_assignment(course, available_from=timezone.now() + timedelta(days=1))
    with unchanged(counts=(Submission,)), pytest.raises(ServiceError) as early:
        submission_create(assignment=later, user=people.student, text="x")
    assert early.value.code == "assignment_not_open"
    assert early.value.extra == {"opens_at": later.available_from}
    once = make_assignment(course, max_resubmissions=1)
    first = submission_create(assignment=once, user=people.student, text="one")
    second = submission_create(assignment=once, user=people.student, text="two")
    assert (first.version, second.version) == (1, 2)
    with unchanged(first, second, counts=(Submission,)), pytest.raises(ServiceError) as limit:
        submission_create(assignment=once, user=people.student, text="three")
    assert limit.value.code == "no_resubmissions"
