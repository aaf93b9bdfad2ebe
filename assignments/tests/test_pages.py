"""The server-rendered pages: who may open them, and the speed grader and editor writes."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from assignments.models import Assignment, Grade, Score
from assignments.services import grade_submission, submission_create
from assignments.tests.factories import RUBRIC, make_assignment

pytestmark = pytest.mark.django_db

ROLES = ("student", "outsider", "instructor", "ta", "other_instructor", "admin")


def browser_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def graded(people, course):
    assignment = make_assignment(course, rubric=RUBRIC)
    submission = submission_create(assignment=assignment, user=people.student, text="*mine*")
    grade_submission(submission=submission, by=people.owner, points=64, release=True)
    return assignment, submission


STAFF_PAGES = {
    "list": ("/instructor/courses/{slug}/assignments/", [404, 404, 200, 200, 404, 200]),
    "new": ("/instructor/courses/{slug}/assignments/new/", [404, 404, 200, 403, 404, 200]),
    "edit": ("/instructor/assignments/{a}/edit/", [404, 404, 200, 403, 404, 200]),
    "grader": ("/instructor/assignments/{a}/grade/", [404, 404, 200, 200, 404, 200]),
    "grid": ("/instructor/courses/{slug}/gradebook/", [404, 404, 200, 200, 404, 200]),
    "history": ("/instructor/gradebook/scores/{score}/history/", [404, 404, 200, 200, 404, 200]),
    "learner list": ("/learn/courses/{slug}/assignments/", [200, 404, 404, 404, 404, 404]),
    "learner detail": ("/learn/assignments/{a}/", [200, 404, 404, 404, 404, 404]),
    "my grades": ("/learn/courses/{slug}/grades/", [200, 404, 404, 404, 404, 404]),
}


@pytest.mark.parametrize("page", list(STAFF_PAGES))
def test_page_access(people, course, graded, page):
    assignment, _ = graded
    path, codes = STAFF_PAGES[page]
    score = Score.objects.get(user=people.student)
    url = path.format(slug=course.slug, a=assignment.pk, score=score.pk)
    for role, expected in zip(ROLES, codes, strict=True):
        assert browser_for(getattr(people, role)).get(url).status_code == expected, role
    anonymous = browser_for(None).get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_speed_grader_grades_with_the_rubric_and_releases(people, course):
    assignment = make_assignment(course, rubric=RUBRIC)
    first = submission_create(assignment=assignment, user=people.student, text="a")
    second = submission_create(assignment=assignment, user=people.other_student, text="b")
    client = browser_for(people.ta)
    url = f"/instructor/assignments/{assignment.pk}/grade/"
    page = client.get(url, {"learner": first.user_id})
    assert b"Learner 1 of 2" in page.content
    response = client.post(
        url,
        {
            "learner": first.user_id,
            "criterion-argument": "strong",
            "criterion-style": "poor",
            "feedback": "Well argued",
            "release": "on",
            "then": "next",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?learner={second.user_id}")
    grade = Grade.objects.get(submission=first)
    assert (grade.points, grade.status, grade.rubric_selections) == (
        Decimal("65.00"), "released", {"argument": "strong", "style": "poor"},
    )  # fmt: skip
    bad = client.post(url, {"learner": second.user_id, "points": "1000"})
    assert bad.status_code == 400
    assert not Grade.objects.filter(submission=second).exists()


def test_editor_creates_an_assignment_with_a_rubric(people, course):
    client = browser_for(people.instructor)
    rubric = [{"title": "Clarity", "levels": [{"title": "Ok", "points": "5"}]}]
    response = client.post(
        f"/instructor/courses/{course.slug}/assignments/new/",
        {
            "title": "Lab report",
            "instructions": "Write **it**",
            "allow_files": "on",
            "allowed_extensions": "pdf, .PNG",
            "max_file_size_mb": 5,
            "max_files": 2,
            "points_possible": "10",
            "late_policy": "penalty",
            "late_penalty_per_day": "5",
            "late_penalty_floor": "50",
            "max_resubmissions": 1,
            "complete_on": "submit",
            "pass_percent": "50",
            "rubric": json.dumps(rubric),
        },
    )
    assert response.status_code == 302, response.content
    created = Assignment.objects.get(title="Lab report")
    assert created.allowed_extensions == ["pdf", "png"]
    assert created.max_file_size == 5 * 1024 * 1024
    assert created.instructions_html == "<p>Write <strong>it</strong></p>\n"
    assert created.rubric[0]["title"] == "Clarity" and created.rubric[0]["id"]
    bad = client.post(
        f"/instructor/assignments/{created.pk}/edit/",
        {**{"title": "x", "points_possible": "10", "late_policy": "accept"},
         "complete_on": "submit", "pass_percent": "50", "max_file_size_mb": 1,
         "max_files": 1, "late_penalty_per_day": "0", "late_penalty_floor": "0",
         "max_resubmissions": 0, "allow_files": "on", "allowed_extensions": "exe"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert Assignment.objects.get(pk=created.pk).title == "Lab report"


def test_learner_grade_page_explains_the_stored_grade(people, course, graded):
    page = browser_for(people.student).get(f"/learn/courses/{course.slug}/grades/")
    text = page.content.decode()
    assert "64.00%" in text and "Weighted sum: <strong>64.00</strong>" in text


def test_gradebook_grid_filters_by_category_and_waiting_drafts(people, course):
    from assignments.services import category_create

    labs = category_create(course_id=course.pk, name="Labs", weight=Decimal("1"), by=None)
    essay = make_assignment(course, title="Essay")
    lab = make_assignment(course, title="Lab 1", category=labs)
    for assignment, user, release in [
        (essay, people.student, True),
        (lab, people.other_student, False),
    ]:
        sub = submission_create(assignment=assignment, user=user, text="x")
        grade_submission(submission=sub, by=people.owner, points=10, release=release)
    client = browser_for(people.ta)
    url = f"/instructor/courses/{course.slug}/gradebook/"
    everything = client.get(url).content.decode()
    assert "Essay" in everything and "Lab 1" in everything
    assert everything.count("<tr data-email=") == 2
    only_labs = client.get(url, {"category": labs.pk}).content.decode()
    assert "Lab 1" in only_labs and ">Essay<" not in only_labs
    waiting = client.get(url, {"show": "drafts"}).content.decode()
    assert waiting.count("<tr data-email=") == 1
    assert f'data-email="{people.other_student.email}"' in waiting
    assert "draft 10.00" in waiting
