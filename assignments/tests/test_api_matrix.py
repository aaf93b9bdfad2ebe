"""Every assignment, submission, grade and gradebook endpoint for every role of the
shared cast: anonymous, the student (owner of the submission), another enrolled student,
an outsider, the course's owner, instructor and TA, another instructor and an admin.
Foreign objects are 404; a refused write changes nothing."""

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assignments.models import (
    Assignment,
    CourseGrade,
    Extension,
    Grade,
    GradebookSettings,
    GradeCategory,
    GradeItem,
    Score,
    Submission,
)
from assignments.services import grade_submission, submission_create
from assignments.tests.factories import RUBRIC, file_assignment, make_assignment, pdf
from lms.audit.models import AuditLog
from lms.testing import ROLES, client_for, unchanged

# Every table an assignments write may touch.
TABLES = (
    Assignment,
    Submission,
    Grade,
    Extension,
    GradeCategory,
    GradeItem,
    GradebookSettings,
    Score,
    CourseGrade,
    AuditLog,
)

pytestmark = pytest.mark.django_db


@dataclass
class World:
    course: Any
    assignment: Assignment
    submission: Submission
    item_id: int
    category_id: int
    file_path: str
    feedback_path: str


@pytest.fixture
def world(people, course) -> World:
    assignment = make_assignment(course, rubric=RUBRIC, allow_url=True)
    submission = submission_create(assignment=assignment, user=people.student, text="mine")
    grade_submission(submission=submission, by=people.owner, points=70, release=True)
    item = course.grade_items.get()
    with_file = file_assignment(course, title="With a file")
    handed_in = submission_create(assignment=with_file, user=people.student, files=[pdf()])
    graded = grade_submission(
        submission=handed_in, by=people.owner, points=5, release=True, feedback_file=pdf("fb.pdf")
    )
    return World(
        course,
        assignment,
        submission,
        item.pk,
        item.category_id,
        f"/api/v1/submissions/{handed_in.pk}/files/{handed_in.files.get().pk}/",
        f"/api/v1/submissions/{handed_in.pk}/feedback-file/?grade={graded.pk}",
    )


def _(role_codes: str) -> dict[str, int]:
    """'401 200 200 404 200 200 200 404 200' in ROLES order."""
    return dict(zip(ROLES, (int(code) for code in role_codes.split()), strict=True))


# (name, method, path, body, format, expected per role)
ENDPOINTS: list[tuple[str, str, str, Any, str, dict[str, int]]] = [
    ("assignment list", "get", "/api/v1/courses/{slug}/assignments/", None, "json",
     _("401 200 200 404 200 200 200 404 200")),
    ("assignment create", "post", "/api/v1/courses/{slug}/assignments/",
     {"title": "New", "points_possible": "10"}, "json", _("401 403 403 404 201 201 403 404 201")),
    ("assignment detail", "get", "/api/v1/assignments/{a}/", None, "json",
     _("401 200 200 404 200 200 200 404 200")),
    ("assignment update", "patch", "/api/v1/assignments/{a}/", {"title": "Renamed"}, "json",
     _("401 403 403 404 200 200 403 404 200")),
    ("assignment delete", "delete", "/api/v1/assignments/{a}/", None, "json",
     _("401 403 403 404 204 204 403 404 204")),
    ("submission list", "get", "/api/v1/assignments/{a}/submissions/", None, "json",
     _("401 200 200 404 200 200 200 404 200")),
    ("submit", "post", "/api/v1/assignments/{a}/submissions/", {"url": "https://example.test/x"},
     "multipart", _("401 403 201 404 403 403 403 404 403")),
    ("extension", "post", "/api/v1/assignments/{a}/extensions/", {"user": "{student}",
     "extra_days": 2}, "json", _("401 403 403 404 200 200 403 404 200")),
    ("release", "post", "/api/v1/assignments/{a}/release/", {}, "json",
     _("401 403 403 404 200 200 200 404 200")),
    ("submission detail", "get", "/api/v1/submissions/{s}/", None, "json",
     _("401 200 404 404 200 200 200 404 200")),
    ("grade", "post", "/api/v1/submissions/{s}/grade/",
     {"rubric_selections": {"argument": "strong", "style": "good"}, "release": True}, "json",
     _("401 403 404 404 201 201 201 404 201")),
    ("grade history", "get", "/api/v1/submissions/{s}/grades/", None, "json",
     _("401 200 404 404 200 200 200 404 200")),
    ("file download", "get", "{file}", None, "json", _("401 302 404 404 302 302 302 404 302")),
    ("feedback file", "get", "{feedback}", None, "json", _("401 302 404 404 302 302 302 404 302")),
    ("gradebook", "get", "/api/v1/courses/{slug}/gradebook/", None, "json",
     _("401 403 403 404 200 200 200 404 200")),
    ("gradebook me", "get", "/api/v1/courses/{slug}/gradebook/me/", None, "json",
     _("401 200 200 404 404 404 404 404 404")),
    ("explain", "get", "/api/v1/courses/{slug}/gradebook/me/explain/", None, "json",
     _("401 200 200 404 404 404 404 404 404")),
    ("learner explain", "get", "/api/v1/courses/{slug}/gradebook/learners/{student}/explain/",
     None, "json", _("401 403 403 404 200 200 200 404 200")),
    ("export", "get", "/api/v1/courses/{slug}/gradebook/export/", None, "json",
     _("401 403 403 404 200 200 200 404 200")),
    ("import dry run", "post", "/api/v1/courses/{slug}/gradebook/import/",
     {"item": "{item}", "file": "csv"}, "multipart", _("401 403 403 404 200 200 200 404 200")),
    ("score adjust", "post", "/api/v1/courses/{slug}/gradebook/scores/",
     {"item": "{item}", "user": "{student}", "excused": True, "reason": "ill"}, "json",
     _("401 403 403 404 200 200 200 404 200")),
    ("gradebook items", "get", "/api/v1/courses/{slug}/gradebook/items/", None, "json",
     _("401 403 403 404 200 200 200 404 200")),
    ("manual item", "post", "/api/v1/courses/{slug}/gradebook/items/",
     {"title": "Participation", "points_possible": "5", "category": "{category}"}, "json",
     _("401 403 403 404 201 201 403 404 201")),
    ("letter scheme", "put", "/api/v1/courses/{slug}/gradebook/scheme/",
     {"scheme": [["P", 50], ["F", 0]]}, "json", _("401 403 403 404 200 200 403 404 200")),
    ("category list", "get", "/api/v1/courses/{slug}/gradebook/categories/", None, "json",
     _("401 403 403 404 200 200 200 404 200")),
    ("category create", "post", "/api/v1/courses/{slug}/gradebook/categories/",
     {"name": "Labs", "weight": "20"}, "json", _("401 403 403 404 201 201 403 404 201")),
    ("category update", "patch", "/api/v1/courses/{slug}/gradebook/categories/{category}/",
     {"weight": "30"}, "json", _("401 403 403 404 200 200 403 404 200")),
    ("category delete", "delete", "/api/v1/courses/{slug}/gradebook/categories/{category}/",
     None, "json", _("401 403 403 404 204 204 403 404 204")),
]  # fmt: skip


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value == "csv":
            return SimpleUploadedFile("g.csv", f"email,points\n{ids['email']},5\n".encode())
        formatted = value.format(**ids)
        return int(formatted) if value.startswith("{") and formatted.isdigit() else formatted
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "fmt", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in ENDPOINTS],
)
def test_role_matrix(people, world, role, method, path, body, fmt, expected):
    ids = {
        "slug": world.course.slug,
        "a": world.assignment.pk,
        "s": world.submission.pk,
        "item": world.item_id,
        "category": world.category_id,
        "student": people.student.pk,
        "email": people.student.email,
        "file": world.file_path,
        "feedback": world.feedback_path,
    }
    client = client_for(people.user(role))
    url = _fill(path, ids)
    refused = expected[role] >= 400 and method != "get"
    rows = (world.assignment, world.submission, world.submission.grades.get())
    with unchanged(*rows, counts=TABLES) if refused else nullcontext():
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, _fill(body, ids), format=fmt)
    assert response.status_code == expected[role], (role, response.content[:300])
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
    if response.status_code == 302:
        assert client_for(None).get(response["Location"]).status_code == 200


def test_learners_only_see_their_own_submissions_in_lists(people, world):
    submission_create(assignment=world.assignment, user=people.other_student, text="theirs")
    url = f"/api/v1/assignments/{world.assignment.pk}/submissions/"
    own = client_for(people.student).get(url).json()["data"]
    assert [row["user"]["id"] for row in own] == [people.student.pk]
    staff = client_for(people.ta).get(url).json()["data"]
    assert sorted(row["user"]["id"] for row in staff) == sorted(
        [people.student.pk, people.other_student.pk]
    )


def test_draft_assignments_are_hidden_from_learners(people, course):
    draft = make_assignment(course, is_published=False, title="Draft")
    assert client_for(people.student).get(f"/api/v1/assignments/{draft.pk}/").status_code == 404
    listed = client_for(people.student).get(f"/api/v1/courses/{course.slug}/assignments/")
    assert [row["title"] for row in listed.json()["data"]] == []
    team = client_for(people.ta).get(f"/api/v1/courses/{course.slug}/assignments/")
    assert [row["title"] for row in team.json()["data"]] == ["Draft"]


def test_draft_grades_are_invisible_to_learners_until_released(people, course):
    assignment = make_assignment(course)
    submission = submission_create(assignment=assignment, user=people.student, text="x")
    staff = client_for(people.ta)
    response = staff.post(
        f"/api/v1/submissions/{submission.pk}/grade/", {"points": "42", "feedback": "Good"}
    )
    assert response.status_code == 201
    assert response.json()["data"]["status"] == "draft"

    learner = client_for(people.student)
    detail = learner.get(f"/api/v1/submissions/{submission.pk}/").json()["data"]
    assert detail["grade"] is None
    assert learner.get(f"/api/v1/submissions/{submission.pk}/grades/").json()["data"] == []
    mine = learner.get(f"/api/v1/courses/{course.slug}/gradebook/me/").json()["data"]
    assert mine["percent"] is None
    assert mine["items"][0]["score"]["points"] is None
    assert "draft" not in mine["items"][0]["score"]
    explained = learner.get(f"/api/v1/courses/{course.slug}/gradebook/me/explain/").json()["data"]
    assert explained["categories"][0]["items"][0]["status"] == "not_graded"
    grid = staff.get(f"/api/v1/courses/{course.slug}/gradebook/").json()["data"]
    cell = next(r for r in grid if r["user"]["id"] == people.student.pk)["scores"]
    assert next(iter(cell.values()))["draft"] == "42.00"
    assert (
        staff.get(f"/api/v1/submissions/{submission.pk}/").json()["data"]["grade"]["points"]
        == "42.00"
    )

    released = staff.post(f"/api/v1/assignments/{assignment.pk}/release/", {})
    assert released.json()["data"] == {"released": 1}
    detail = learner.get(f"/api/v1/submissions/{submission.pk}/").json()["data"]
    assert detail["grade"]["points"] == "42.00"
    assert detail["grade"]["feedback"] == "Good"
    mine = learner.get(f"/api/v1/courses/{course.slug}/gradebook/me/").json()["data"]
    assert mine["percent"] == "42.00"


@pytest.mark.parametrize(
    ("method", "path", "body", "fmt", "role"),
    [
        pytest.param(row[1], row[2], row[3] or {}, row[4], role, id=row[0])
        for row in ENDPOINTS
        if row[1] != "get"
        for role in ["other_student" if row[0] == "submit" else "owner"]
    ],
)
def test_every_write_refuses_an_unknown_field(people, world, method, path, body, fmt, role):
    ids = {
        "slug": world.course.slug,
        "a": world.assignment.pk,
        "s": world.submission.pk,
        "item": world.item_id,
        "category": world.category_id,
        "student": people.student.pk,
        "email": people.student.email,
    }
    client = client_for(people.user(role))
    rows = (world.assignment, world.submission, world.submission.grades.get())
    with unchanged(*rows, counts=TABLES):
        response = getattr(client, method)(
            _fill(path, ids), {**_fill(body, ids), "unexpected": "x"}, format=fmt
        )
    assert response.status_code == 400, response.content[:300]
    errors = response.json()["errors"]
    assert {"attr": "unexpected", "pointer": "/unexpected", "code": "unknown_field"} in [
        {k: e[k] for k in ("attr", "pointer", "code")} for e in errors
    ]
