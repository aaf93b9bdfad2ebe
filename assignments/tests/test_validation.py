"""Bad input everywhere answers a clear 4xx problem and stores nothing."""

import pytest

from assignments.models import Assignment, GradeCategory, Submission
from assignments.tests.conftest import client_for
from assignments.tests.factories import make_assignment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"title": ""}, "title", "blank"),
        ({"title": "x", "points_possible": "0"}, "points_possible", "min_value"),
        ({"title": "x", "allow_files": True, "allowed_extensions": ["exe"]},
         "allowed_extensions", "unsupported_extension"),
        ({"title": "x", "allow_files": True}, "allowed_extensions", "required"),
        ({"title": "x", "allow_text": False}, "allow_text", "no_type"),
        ({"title": "x", "available_from": "2030-01-02T00:00:00Z",
          "available_until": "2030-01-01T00:00:00Z"}, "available_until", "invalid"),
        ({"title": "x", "rubric": [{"title": "c", "levels": []}]}, "rubric.0", "invalid_levels"),
        ({"title": "x", "rubric": [{"title": "c", "levels": [{"points": "-1"}]}]},
         "rubric.0.levels.0.points", "min_value"),
        ({"title": "x", "lesson": 999999}, "lesson", "invalid"),
        ({"title": "x", "max_file_size": 10**12}, "max_file_size", "too_large"),
        ({"title": "x", "late_policy": "maybe"}, "late_policy", "invalid_choice"),
    ],
)  # fmt: skip
def test_assignment_create_rejects_bad_input(people, course, body, attr, code):
    response = client_for(people.owner).post(
        f"/api/v1/courses/{course.slug}/assignments/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert (errors[0]["attr"], errors[0]["code"]) == (attr, code), errors
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"url": "javascript:alert(1)"}, "url", "invalid_url"),
        ({"url": "ftp://example.test/x"}, "url", "invalid_url"),
        ({}, None, "empty"),
        ({"text": "   "}, None, "empty"),
    ],
)
def test_submission_rejects_bad_input(people, course, body, attr, code):
    assignment = make_assignment(course, allow_url=True)
    response = client_for(people.student).post(
        f"/api/v1/assignments/{assignment.pk}/submissions/", body, format="multipart"
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == (attr, code)
    assert not Submission.objects.exists()


def test_types_the_assignment_does_not_accept_are_refused(people, course):
    assignment = make_assignment(course)  # text only
    response = client_for(people.student).post(
        f"/api/v1/assignments/{assignment.pk}/submissions/",
        {"url": "https://example.test"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "not_accepted"


def test_submitted_text_is_sanitised(people, course):
    assignment = make_assignment(course)
    response = client_for(people.student).post(
        f"/api/v1/assignments/{assignment.pk}/submissions/",
        {"text": "Hi <script>alert(1)</script> [x](javascript:alert(1)) **bold**"},
        format="multipart",
    )
    assert response.status_code == 201
    html = response.json()["data"]["text_html"]
    assert "<script" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, never run
    assert "<strong>bold</strong>" in html


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("gradebook/categories/", {"name": "Neg", "weight": "-1"}),
        ("gradebook/categories/", {"name": "Assignments", "weight": "1"}),  # duplicate
        ("gradebook/scheme/", {"scheme": [["A", 90], ["B", 90], ["F", 0]]}),
        ("gradebook/scheme/", {"scheme": [["A", 90], ["B", 80]]}),  # nothing at 0
        ("gradebook/scheme/", {"scheme": [["A", "ninety"], ["F", 0]]}),
        ("gradebook/scores/", {"item": 999999, "user": 1, "excused": True}),
        ("gradebook/items/", {"title": "x", "points_possible": "0", "category": 1}),
    ],
)
def test_gradebook_configuration_rejects_bad_input(people, course, path, body):
    make_assignment(course)  # makes the Assignments category
    before = list(GradeCategory.objects.values_list("name", "weight"))
    client = client_for(people.owner)
    method = client.put if path.endswith("scheme/") else client.post
    response = method(f"/api/v1/courses/{course.slug}/{path}", body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert list(GradeCategory.objects.values_list("name", "weight")) == before
