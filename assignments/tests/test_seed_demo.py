"""`seed_demo_assignments`, run by `seed_demo` (through `seed_demo_courses`): an
assignment with a rubric and graded submissions, through the services, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from assignments.models import Assignment, CourseGrade, Grade, Submission

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_rubric_assignment_with_graded_submissions_once(settings):
    settings.DEBUG = True
    first = StringIO()
    call_command("seed_demo", stdout=first)
    assert "seed_demo_assignments: 1 assignment, 3 submissions" in first.getvalue()
    assignment = Assignment.objects.get(title="Practice queries")
    assert len(assignment.rubric) == 2 and assignment.lesson is not None
    assert Submission.objects.filter(assignment=assignment).count() == 3
    assert Grade.objects.filter(status="released").count() == 2
    assert Grade.objects.filter(status="draft").count() == 1
    sql_grades = CourseGrade.objects.filter(course=assignment.course)  # not the quiz course's
    percents = sorted(sql_grades.exclude(percent=None).values_list("percent", flat=True))
    assert [str(p) for p in percents] == ["50.00", "100.00"]

    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert "seed_demo_assignments: already there." in again.getvalue()
    assert Submission.objects.count() == 3
