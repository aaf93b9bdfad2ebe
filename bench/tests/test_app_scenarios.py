"""The quizzes and assignments scenarios (bench/runner/app_scenarios.py, app_data.py) on
the smoke dataset: the preparation creates what the scenarios need, through the apps'
services, and a second run creates nothing; every scenario's first request answers 2xx
through the real API (the runner exits 1 on any error)."""

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, Model
from django.test import Client

from assignments.models import Assignment, Grade, GradeCategory, GradeItem, Score, Submission
from bench.runner.app_data import ASSIGNMENT_TITLE, COURSES, QUESTIONS, QUIZ_TITLE, app_prepare
from bench.runner.app_scenarios import app_scenarios
from bench.runner.scenarios import Dataset
from bench.runner.wrk import Request
from enrollments.models import Enrollment, LessonCompletion
from quizzes.models import Attempt, AttemptAnswer, Question, Quiz, QuizItem

# The seed runs inside the test's transaction (as in test_seed_bench), rolled back after.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

LEARNERS = 30
MODELS: list[type[Model]] = [
    Quiz, QuizItem, Question, Attempt, AttemptAnswer, Assignment, Submission, Grade,
    GradeCategory, GradeItem, Score, Enrollment, LessonCompletion,
]  # fmt: skip


@pytest.fixture
def data() -> Dataset:
    call_command("seed_bench", "--scale", "smoke", stdout=io.StringIO())
    return Dataset(learners=LEARNERS, write_enrollments=60).load()


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def test_preparation_creates_the_data_once(data: Dataset) -> None:
    before = counts()
    first = app_prepare(data)
    after_first = counts()
    assert first.created == {
        "categories": 2 * COURSES,
        "quizzes": COURSES,
        "assignments": 2 * COURSES,
        "attempts": LEARNERS,
        "graded submissions": LEARNERS,
    }
    assert after_first["Quiz"] == COURSES
    assert after_first["QuizItem"] == COURSES * len(QUESTIONS)
    assert after_first["Attempt"] == LEARNERS
    assert after_first["AttemptAnswer"] == LEARNERS * len(QUESTIONS)
    assert after_first["Submission"] == after_first["Grade"] == LEARNERS
    # Enrollments and completions are the other scenarios' data: untouched.
    for name in ("Enrollment", "LessonCompletion"):
        assert after_first[name] == before[name]

    second = app_prepare(data)
    assert second.created == {}
    assert counts() == after_first
    assert second.courses == first.courses
    assert second.learners == first.learners


def test_prepared_data_has_the_shape_the_scenarios_need(data: Dataset) -> None:
    app = app_prepare(data)
    assert len({learner.user for learner in app.learners}) == LEARNERS
    # Every learner has one attempt in progress with half its answers saved.
    attempts = Attempt.objects.filter(quiz__title=QUIZ_TITLE)
    assert set(attempts.values_list("status", flat=True)) == {Attempt.Status.IN_PROGRESS}
    saved = AttemptAnswer.objects.filter(attempt__in=attempts, response__isnull=False)
    assert saved.count() == LEARNERS * 5
    kinds = set(
        Question.objects.filter(quiz_items__quiz__title=QUIZ_TITLE).values_list("kind", flat=True)
    )
    assert len(kinds) == 8 and "essay" not in kinds
    # Three of four graded submissions are released into the gradebook, the rest drafts.
    grades = Grade.objects.filter(submission__assignment__title=ASSIGNMENT_TITLE)
    by_status = dict(grades.values_list("status").annotate(n=Count("id")))
    assert by_status == {Grade.Status.RELEASED: 24, Grade.Status.DRAFT: 6}
    released = set(
        grades.filter(status=Grade.Status.RELEASED).values_list("submission_id", flat=True)
    )
    assert {x.submission for x in app.learners if x.released} == released
    # The learners are the courses' first seated enrollments: the gradebook's first page.
    for course in app.courses:
        first_page = list(
            Enrollment.objects.filter(course__slug=course.slug, status__in=Enrollment.SEATED)
            .order_by("id")
            .values_list("user_id", flat=True)[:10]
        )
        assert first_page == [x.user for x in app.learners if x.slug == course.slug]


def send(client: Client, request: Request) -> Any:
    headers = dict(request.headers)
    content_type = headers.pop("Content-Type", "application/octet-stream")
    return client.generic(
        request.method,
        request.path,
        data=request.body or "",
        content_type=content_type,
        headers=headers,
    )


def released_points(submission_id: int) -> Any:
    submission = Submission.objects.select_related("assignment").get(pk=submission_id)
    return Score.objects.get(
        item__source="assignment",
        item__source_id=submission.assignment_id,
        user_id=submission.user_id,
    ).points


def test_every_scenario_answers_2xx(data: Dataset) -> None:
    scenarios = app_scenarios(data)
    regraded = next(x for x in app_prepare(data).learners if x.released)
    points_before = released_points(regraded.submission)
    assert all(s.variants == ("real",) for s in scenarios)
    assert all(s.name.startswith(("quiz_", "assignment_", "gradebook_")) for s in scenarios)
    client = Client()
    expected: dict[str, Callable[[Any], bool]] = {
        # The learner already has an attempt in progress: start resumes it (200, not 201).
        "quiz_start": lambda r: r.status_code == 200,
        "assignment_grade": lambda r: r.status_code == 201,
        "assignment_submit": lambda r: r.status_code == 201,
    }
    for scenario in scenarios:
        requests = scenario.build("real")
        assert requests, scenario.name
        response = send(client, requests[0])
        assert 200 <= response.status_code < 300, (scenario.name, response.content[:300])
        assert expected.get(scenario.name, lambda r: r.status_code == 200)(response), (
            scenario.name,
            response.status_code,
        )
        if scenario.name == "gradebook_page1":
            rows = response.json()["data"]
            assert len(rows) == 50
            graded = [row for row in rows if any(cell for cell in row["scores"].values())]
            assert len(graded) == 10  # the 10 prepared learners of this course
        if scenario.name == "assignment_grade":
            # The first request regrades the first released submission to other points.
            assert requests[0].path == f"/api/v1/submissions/{regraded.submission}/grade/"
            grade = response.json()["data"]
            assert grade["status"] == "released" and grade["is_current"]
            assert released_points(regraded.submission) != points_before
        if scenario.name == "quiz_attempt_autosave":
            body = json.loads(requests[0].body or "{}")
            saved = response.json()["data"]
            assert len(body["answers"]) == 3 and saved["status"] == "in_progress"
