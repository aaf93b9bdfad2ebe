"""Bad input everywhere answers a clear 4xx problem and stores nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assignments.models import (
    Assignment,
    GradebookSettings,
    GradeCategory,
    GradeItem,
    Score,
    Submission,
)
from assignments.tests.factories import make_assignment
from lms.audit.models import AuditLog
from lms.testing import client_for, unchanged

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
        ("gradebook/categories/", {"name": "Labs", "weight": "1", "kind": "custom"}),
        ("gradebook/scheme/", {"scheme": [["P", 50], ["F", 0]], "letters": 2}),
    ],
)
def test_gradebook_configuration_rejects_bad_input(people, course, path, body):
    make_assignment(course)  # makes the Assignments category
    client = client_for(people.owner)
    method = client.put if path.endswith("scheme/") else client.post
    tables = (GradeCategory, GradeItem, GradebookSettings, Score, AuditLog)
    with unchanged(*GradeCategory.objects.all(), counts=tables):
        response = method(f"/api/v1/courses/{course.slug}/{path}", body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert all(error["pointer"].startswith("/") for error in response.json()["errors"])


def test_an_unknown_field_is_refused_not_ignored(people, course):
    # `published` is not the field's name (`is_published`): it used to be dropped silently.
    response = client_for(people.owner).post(
        f"/api/v1/courses/{course.slug}/assignments/",
        {"title": "Essay", "points_possible": "10", "published": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "attr": "published",
            "pointer": "/published",
            "code": "unknown_field",
            "detail": "This field is not accepted here.",
        }
    ]
    assert not Assignment.objects.exists()


def test_unknown_fields_inside_a_rubric_are_named(people, course):
    rubric = [{"title": "c", "levels": [{"title": "ok", "points": "1", "score": "1"}]}]
    response = client_for(people.owner).post(
        f"/api/v1/courses/{course.slug}/assignments/",
        {"title": "x", "rubric": rubric},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["pointer"], error["code"]) == ("/rubric/0/levels/0/score", "unknown_field")
    assert not Assignment.objects.exists()


def test_a_multipart_hand_in_with_an_unknown_field_is_refused(people, course):
    assignment = make_assignment(course)
    with unchanged(assignment, counts=(Submission,)):
        response = client_for(people.student).post(
            f"/api/v1/assignments/{assignment.pk}/submissions/",
            {"text": "mine", "comment": "hello"},
            format="multipart",
        )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("comment", "unknown_field")


def test_refused_hand_ins_are_problems_with_their_code_and_change_nothing(people, course):
    opens = timezone.now().replace(microsecond=0) + timedelta(days=1)
    later = make_assignment(course, available_from=opens)
    client = client_for(people.student)
    with unchanged(later, counts=(Submission,)):
        early = client.post(f"/api/v1/assignments/{later.pk}/submissions/", {"text": "x"})
    assert early.status_code == 403
    assert early["Content-Type"] == "application/problem+json"
    body = early.json()
    assert body["code"] == "assignment_not_open"
    assert body["opens_at"].endswith("Z") and parse_datetime(body["opens_at"]) == opens

    staff = client_for(people.ta)
    open_now = make_assignment(course)
    with unchanged(open_now, counts=(Submission,)):
        not_learner = staff.post(f"/api/v1/assignments/{open_now.pk}/submissions/", {"text": "x"})
    assert (not_learner.status_code, not_learner.json()["code"]) == (403, "not_enrolled")
