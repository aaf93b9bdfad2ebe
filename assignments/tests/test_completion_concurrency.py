"""The last lesson and the passing grade arriving at the same moment
(docs/decisions/0014-completion-rules.md): whichever transaction commits second sees both
facts, so the learner completes, once, whoever goes first. Made deterministic by
lms.testing.run_together: held at `enrollment.completion_grade_read`, the lesson
completion has read "no grade yet" and holds the enrollment row while the grade is
written; held at `assignments.course_grade_locked`, the lesson completion runs first
while the grade waits.

Lock order: the gradebook takes the learner's CourseGrade row, then the enrollment row
(enrollments.services.course_completion_recheck); a lesson completion takes the
enrollment row only. A recheck that did not wait for the enrollment row (e.g. one that
skipped rows not yet at 100 %) would miss the completion committed meanwhile.
"""

from decimal import Decimal

import pytest
from django.db import connection

from assignments.models import GradeCategory
from assignments.services import manual_item_create, score_adjust
from assignments.services.structure import default_category
from courses.tests.factories import LessonFactory, ModuleFactory
from enrollments.models import Enrollment
from enrollments.services import lesson_complete, progress_recompute
from lms.outbox.models import OutboxMessage
from lms.testing import make_course, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "held", ["enrollment.completion_grade_read", "assignments.course_grade_locked"]
)
def test_the_last_lesson_and_the_grade_at_once_complete_the_course(people, held):
    course = make_course(people, lessons=0, enroll=("student",), passing_grade=70)
    module = ModuleFactory(course=course)
    first, last = LessonFactory(module=module), LessonFactory(module=module)
    progress_recompute(course_id=course.pk)
    category = default_category(course_id=course.pk, kind=GradeCategory.Kind.ASSIGNMENTS)
    item = manual_item_create(
        course_id=course.pk, title="Exam", points_possible=Decimal(10), category=category, by=None
    )
    enrollment = Enrollment.objects.get(user=people.student, course=course)
    lesson_complete(enrollment=enrollment, lesson=first, by_request=True)
    owner = people.owner
    connection.close()  # back to the pool: the racing threads need the connections

    run_together(
        [
            lambda: lesson_complete(enrollment=enrollment, lesson=last, by_request=True),
            lambda: score_adjust(item=item, user_id=people.student.pk, by=owner, points=8),
        ],
        hold_at=held,
        hold_seconds=1.0,
        hold_parties=2,
    )

    enrollment.refresh_from_db()
    assert (enrollment.percent, enrollment.status) == (100, "completed")
    published = OutboxMessage.objects.filter(
        topic="enrollments.course_completed", payload__enrollment_id=enrollment.pk
    )
    assert published.count() == 1
