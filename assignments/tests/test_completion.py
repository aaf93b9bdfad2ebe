"""Assignment lessons and course completion with a gradebook
(docs/decisions/0014-completion-rules.md): an assignment lesson completes on hand-in or on
a passing grade, never on request; a course completes when every required lesson is done
and, with a passing grade, when the course grade is final and at least that grade. The
completion email leaves only then. A recompute follows the same rule."""

from decimal import Decimal

import pytest
from django.core import mail

from assignments.models import CourseGrade, GradeCategory, GradeItem
from assignments.services import (
    assignment_update,
    category_update,
    grade_submission,
    manual_item_create,
    quiz_item_sync,
    quiz_score_sync,
    score_adjust,
    submission_create,
)
from assignments.services.structure import default_category
from assignments.tasks import gradebook_recompute_task
from assignments.tests.factories import make_assignment
from courses.services import course_update
from courses.tests.factories import LessonFactory, ModuleFactory
from enrollments.models import Enrollment, LessonCompletion
from enrollments.services import lesson_complete, progress_recompute
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_relay
from lms.testing import client_for, make_course, unchanged

pytestmark = pytest.mark.django_db

COMPLETED = "enrollments.course_completed"


@pytest.fixture
def setup(people):
    """A course (passing grade 70) of a text lesson and an assignment lesson whose
    assignment (100 points) completes it on hand-in; the student enrolled."""
    course = make_course(people, lessons=0, enroll=("student",), passing_grade=70)
    module = ModuleFactory(course=course)
    text = LessonFactory(module=module, kind="text")
    work = LessonFactory(module=module, kind="assignment")
    progress_recompute(course_id=course.pk)
    assignment = make_assignment(course, lesson=work)
    return course, text, work, assignment


def enrollment_of(people, course) -> Enrollment:
    return Enrollment.objects.get(user=people.student, course=course)


def completions_published(course) -> int:
    return OutboxMessage.objects.filter(topic=COMPLETED, payload__course_id=course.pk).count()


def request(people, lesson):
    return client_for(people.student).post(f"/api/v1/lessons/{lesson.pk}/complete/")


def test_an_assignment_lesson_is_refused_on_request_and_completes_on_hand_in(people, setup):
    course, _, work, assignment = setup
    enrollment = enrollment_of(people, course)
    with unchanged(enrollment, counts=(LessonCompletion,)):
        response = request(people, work)
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["rule"], body["activity_id"]) == (
        "completes_with_assignment",
        "assignment_submit",
        assignment.pk,
    )
    submission_create(assignment=assignment, user=people.student, text="My work")
    assert LessonCompletion.objects.filter(enrollment=enrollment, lesson=work).exists()
    assert request(people, work).json()["data"]["created"] is False  # idempotent now


def test_complete_on_pass_needs_a_released_passing_grade(people, setup):
    _, _, work, assignment = setup
    assignment = assignment_update(
        assignment=assignment, by=people.owner, complete_on="pass", pass_percent=Decimal("60")
    )
    assert request(people, work).json()["rule"] == "assignment_pass"
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    done = LessonCompletion.objects.filter(lesson=work)
    assert not done.exists()
    grade_submission(submission=submission, by=people.ta, points=59, release=True)
    assert not done.exists()
    grade_submission(submission=submission, by=people.ta, points=60, release=False)
    assert not done.exists()  # a draft
    grade_submission(submission=submission, by=people.ta, points=60, release=True)
    assert done.count() == 1


def test_the_course_waits_for_the_released_passing_grade_then_completes_once(people, setup):
    course, text, _, assignment = setup
    assert request(people, text).status_code == 200
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    enrollment = enrollment_of(people, course)
    assert (enrollment.percent, enrollment.status) == (100, "active")  # ungraded work waits
    grade_submission(submission=submission, by=people.ta, points=80, release=False)
    enrollment.refresh_from_db()
    assert enrollment.status == "active"  # a draft is not a grade yet
    assert completions_published(course) == 0
    grade_submission(submission=submission, by=people.ta, points=80, release=True)
    enrollment.refresh_from_db()
    assert enrollment.status == "completed" and enrollment.completed_at is not None
    assert completions_published(course) == 1
    mail.outbox.clear()
    outbox_relay()
    assert [m.subject for m in mail.outbox].count(f"You completed {course.title}") == 1
    # A later lower grade does not reopen it.
    grade_submission(submission=submission, by=people.ta, points=10, release=True)
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    assert completions_published(course) == 1


def test_a_grade_below_passing_holds_the_course_until_a_regrade_passes(people, setup):
    course, text, _, assignment = setup
    request(people, text)
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=submission, by=people.ta, points=69, release=True)
    enrollment = enrollment_of(people, course)
    assert (enrollment.percent, enrollment.status) == (100, "active")
    assert CourseGrade.objects.get(user=people.student, course=course).percent == Decimal("69")
    grade_submission(submission=submission, by=people.ta, points=70, release=True)
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"


def test_a_passing_grade_of_zero_needs_no_grade(people, setup):
    course, text, _, assignment = setup
    course_update(course=course, passing_grade=0)
    request(people, text)
    submission_create(assignment=assignment, user=people.student, text="x")
    assert enrollment_of(people, course).status == "completed"


def test_a_provisional_quiz_score_holds_the_course(people, setup):
    """A quiz attempt with essays waiting for a grader sends final=False (quizzes'
    score_publish through lms.grading: quiz_score_sync is its receiver)."""
    course, text, _, assignment = setup
    quiz_item_sync(course_id=course.pk, source_id=9001, title="Quiz", points_possible=Decimal(10))
    quiz_score_sync(
        course_id=course.pk, user_id=people.student.pk, source_id=9001,
        points_earned=Decimal(10), points_possible=Decimal(10), final=False,
    )  # fmt: skip
    request(people, text)
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=submission, by=people.ta, points=90, release=True)
    enrollment = enrollment_of(people, course)
    assert enrollment.status == "active"
    quiz_score_sync(
        course_id=course.pk, user_id=people.student.pk, source_id=9001,
        points_earned=Decimal(10), points_possible=Decimal(10), final=True,
    )  # fmt: skip
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
    assert completions_published(course) == 1


def test_an_excused_or_overridden_cell_is_settled(people, setup):
    course, text, _, assignment = setup
    category = default_category(course_id=course.pk, kind=GradeCategory.Kind.ASSIGNMENTS)
    item = manual_item_create(
        course_id=course.pk, title="Oral", points_possible=Decimal(10), category=category, by=None
    )
    score_adjust(item=item, user_id=people.student.pk, by=people.owner, points=Decimal(9))
    request(people, text)
    submission_create(assignment=assignment, user=people.student, text="x")
    enrollment = enrollment_of(people, course)
    assert enrollment.status == "active"  # 90 %, but the hand-in waits for a grade
    work_item = GradeItem.objects.get(course=course, source="assignment", source_id=assignment.pk)
    score_adjust(item=work_item, user_id=people.student.pk, by=people.owner, excused=True)
    enrollment.refresh_from_db()
    assert enrollment.status == "completed"


def test_a_lower_passing_grade_completes_waiting_learners_through_the_recompute(people, setup):
    course, text, _, assignment = setup
    request(people, text)
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=submission, by=people.ta, points=60, release=True)
    assert enrollment_of(people, course).status == "active"
    course_update(course=course, passing_grade=60)
    assert enrollment_of(people, course).status == "active"  # in the background
    outbox_relay()
    assert enrollment_of(people, course).status == "completed"
    assert completions_published(course) == 1


def test_the_gradebook_recompute_completes_learners_whose_grade_now_passes(people, setup):
    course, text, _, assignment = setup
    labs = GradeCategory.objects.create(course=course, name="Labs", weight=Decimal("1"))
    lab = manual_item_create(
        course_id=course.pk, title="Lab", points_possible=Decimal(10), category=labs, by=None
    )
    score_adjust(item=lab, user_id=people.student.pk, by=people.owner, points=Decimal(10))
    request(people, text)
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=submission, by=people.ta, points=30, release=True)  # (30+100)/2
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("65.00")
    assert enrollment_of(people, course).status == "active"
    category_update(category=labs, by=people.owner, weight=Decimal("3"))  # (30 + 3*100) / 4
    message = OutboxMessage.objects.filter(topic="assignments.gradebook_recompute").last()
    assert gradebook_recompute_task(message.pk, message.payload) == 1
    assert CourseGrade.objects.get(user=people.student).percent == Decimal("82.50")
    assert enrollment_of(people, course).status == "completed"


def test_progress_recompute_applies_the_grade_rule(people, setup):
    """A learner at 100 % below passing stays active; one who passes completes; a
    completed one is never reverted."""
    course, text, _, assignment = setup
    request(people, text)
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    grade_submission(submission=submission, by=people.ta, points=50, release=True)
    progress_recompute(course_id=course.pk)
    enrollment = enrollment_of(people, course)
    assert (enrollment.percent, enrollment.status) == (100, "active")
    # The grade passes but the live recheck was missed (e.g. rows written before this
    # rule existed): a recompute completes the learner.
    CourseGrade.objects.filter(user=people.student).update(percent=Decimal("90"))
    assert progress_recompute(course_id=course.pk) == 1
    assert enrollment_of(people, course).status == "completed"
    assert completions_published(course) == 1
    CourseGrade.objects.filter(user=people.student).update(percent=Decimal("10"))
    assert progress_recompute(course_id=course.pk) == 0
    assert enrollment_of(people, course).status == "completed"


def test_activities_complete_without_a_request(people, setup):
    """lesson_complete without by_request is how activities complete their lessons."""
    course, _, work, _ = setup
    _, created = lesson_complete(enrollment=enrollment_of(people, course), lesson=work)
    assert created is True


def test_the_outline_shows_the_assignment_rule_and_follows_it(people, setup):
    course, _, work, assignment = setup

    def rule(client):
        data = client.get(f"/api/v1/courses/{course.slug}/outline/").json()["data"]
        [mine] = [
            lesson for m in data["modules"] for lesson in m["lessons"] if lesson["id"] == work.pk
        ]
        return mine["activity_id"], mine["completion"]

    anonymous, student = client_for(None), client_for(people.student)
    expected = (
        assignment.pk,
        {"rule": "assignment_submit", "pass_percent": None, "video_percent": None},
    )
    assert rule(anonymous) == rule(student) == expected
    assignment_update(
        assignment=assignment, by=people.owner, complete_on="pass", pass_percent=Decimal("60")
    )
    expected = (
        assignment.pk,
        {"rule": "assignment_pass", "pass_percent": "60.00", "video_percent": None},
    )
    assert rule(anonymous) == rule(student) == expected
