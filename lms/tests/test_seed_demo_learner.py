"""`seed_demo`'s demo learner (enrollments' seed_demo_learning, and the quiz attempt of
quizzes' seed): part-way through a course with rollups that match the rows, credentials
printed, idempotent, and the portal shows the progress."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from enrollments.models import Enrollment, LessonCompletion, LessonProgress
from enrollments.services import from_scratch_percent
from quizzes.models import Attempt

pytestmark = pytest.mark.django_db

LEARNER = "learner@demo.lms"
PYTHON = "demo-python-from-scratch"


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list]:
    return {
        "enrollments": list(
            Enrollment.objects.filter(user__email=LEARNER)
            .order_by("course__slug")
            .values_list("course__slug", "status", "completed_count", "required_total", "percent")
        ),
        "completions": sorted(
            LessonCompletion.objects.filter(enrollment__user__email=LEARNER).values_list(
                "lesson__title", flat=True
            )
        ),
        "progress": list(
            LessonProgress.objects.filter(enrollment__user__email=LEARNER).values_list(
                "lesson__title", "last_position_seconds", "watched_seconds"
            )
        ),
        "attempts": list(
            Attempt.objects.filter(user__email=LEARNER).values_list("number", "status")
        ),
    }


def test_the_demo_learner_is_part_way_through_a_course_once():
    output = seed()
    first = snapshot()

    assert f"{LEARNER}" in output and f"password {DEMO_PASSWORD}" in output
    assert "seed_demo_learning: learner@demo.lms progressed in 2 course(s)" in output
    python = Enrollment.objects.get(user__email=LEARNER, course__slug=PYTHON)
    assert python.status == "active"
    assert (python.completed_count, python.required_total, python.percent) == (3, 6, 50)
    for enrollment in Enrollment.objects.filter(user__email=LEARNER):
        assert enrollment.percent == from_scratch_percent(enrollment)  # the rollup is right
    assert first["progress"] == [("Installing Python", 240, 240)]  # 40 % of a 10-minute video
    assert first["attempts"] == [(1, "submitted")]

    again = seed()
    assert snapshot() == first
    assert "progressed in 0 course(s), 2 already there" in again


def test_the_portal_shows_the_learners_progress():
    seed()
    client = Client()
    assert client.login(email=LEARNER, password=DEMO_PASSWORD)

    page = client.get("/learn/").content.decode()
    assert "Python from scratch" in page and "SQL for analysts" in page
    assert 'value="50" aria-label="Progress in Python from scratch"' in page
    assert "Continue: Installing Python" in page

    python = Enrollment.objects.get(user__email=LEARNER, course__slug=PYTHON)
    course_page = client.get(f"/courses/{PYTHON}/")
    assert course_page.context["action"].kind == "continue"
    states = [lesson["state"]["completed"] for lesson in course_page.context["outline"]["lessons"]]
    assert states.count(True) == python.completed_count
