"""Role matrix over every course, staff, module and lesson endpoint.

Actors: anonymous, student, owner, co-instructor, TA, another instructor, admin; on a draft
and on a published course. Drafts are 404 to outsiders; a visible course answers 403 to
those who may not act (401 when anonymous); a TA changes neither structure nor team.
"""

from contextlib import nullcontext
from dataclasses import dataclass

import pytest

from courses.models import Course, CourseStaff, Lesson, Module
from courses.permissions import (
    can_create_course,
    can_edit_course,
    can_manage_staff,
    can_teach,
    can_view_course,
    visible_courses_q,
)
from lms.testing import unchanged

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "student", "owner", "instructor", "ta", "other_instructor", "admin"]
TEAM = {"owner", "instructor", "ta", "admin"}  # see drafts
LEVELS = {
    "view": set(ACTORS),
    "teach": {"owner", "instructor", "ta", "admin"},
    "edit": {"owner", "instructor", "admin"},
    "manage": {"owner", "admin"},
    "duplicate": {"owner", "instructor", "admin"},
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {slug}, {module}, {lesson}, {member} filled per course
    level: str
    ok: int
    body: dict | None = None
    ok_published: int | None = None  # when the published course answers differently

    def expected(self, actor: str, published: bool) -> int:
        write = self.method != "get"
        if actor == "anonymous" and write:
            return 401
        if not published and actor not in TEAM:
            return 404
        if actor in LEVELS[self.level]:
            return self.ok_published if published and self.ok_published else self.ok
        return 401 if actor == "anonymous" else 403


ENDPOINTS = [
    Endpoint("course detail", "get", "courses/{slug}/", "view", 200),
    Endpoint("course outline", "get", "courses/{slug}/outline/", "view", 200),
    Endpoint("course patch", "patch", "courses/{slug}/", "edit", 200, {"subtitle": "New"}),
    Endpoint("course delete", "delete", "courses/{slug}/", "manage", 204, ok_published=409),
    Endpoint("course publish", "post", "courses/{slug}/publish/", "edit", 200, ok_published=409),
    Endpoint("course archive", "post", "courses/{slug}/archive/", "edit", 409, ok_published=200),
    Endpoint("course duplicate", "post", "courses/{slug}/duplicate/", "duplicate", 201, {}),
    Endpoint("staff list", "get", "courses/{slug}/staff/", "teach", 200),
    Endpoint(
        "staff add", "post", "courses/{slug}/staff/", "manage", 201,
        {"email": "{newcomer}", "role": "ta"},
    ),
    Endpoint(
        "staff role", "patch", "courses/{slug}/staff/{member}/", "manage", 200, {"role": "ta"}
    ),
    Endpoint("staff remove", "delete", "courses/{slug}/staff/{member}/", "manage", 204),
    Endpoint("module list", "get", "courses/{slug}/modules/", "view", 200),
    Endpoint("module detail", "get", "courses/{slug}/modules/{module}/", "view", 200),
    Endpoint("module create", "post", "courses/{slug}/modules/", "edit", 201, {"title": "M2"}),
    Endpoint(
        "module patch", "patch", "courses/{slug}/modules/{module}/", "edit", 200, {"title": "M"}
    ),
    Endpoint(
        "module reorder", "post", "courses/{slug}/modules/{module}/reorder/", "edit", 200,
        {"position": 1},
    ),
    Endpoint("module delete", "delete", "courses/{slug}/modules/{module}/", "edit", 204),
    Endpoint("lesson list", "get", "courses/{slug}/lessons/", "view", 200),
    Endpoint("lesson detail", "get", "courses/{slug}/lessons/{lesson}/", "view", 200),
    Endpoint(
        "lesson create", "post", "courses/{slug}/lessons/", "edit", 201,
        {"module": "{module}", "title": "L2", "kind": "text"},
    ),
    Endpoint(
        "lesson patch", "patch", "courses/{slug}/lessons/{lesson}/", "edit", 200, {"title": "L"}
    ),
    Endpoint(
        "lesson reorder", "post", "courses/{slug}/lessons/{lesson}/reorder/", "edit", 200,
        {"position": 1},
    ),
    Endpoint("lesson delete", "delete", "courses/{slug}/lessons/{lesson}/", "edit", 204),
]  # fmt: skip


def _fill(value, values):
    if isinstance(value, str):
        return value.format(**values) if "{" in value else value
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    return value


@pytest.mark.parametrize("published", [False, True], ids=["draft", "published"])
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_role_matrix(endpoint, actor, published, team, make_course, as_user):
    from accounts.tests.factories import UserFactory

    course = make_course(published=published)
    module = course.modules.get()
    # Two of each so that moves and deletes are possible (and leave a lesson behind).
    second = Module.objects.create(course=course, title="Second", position=1)
    Lesson.objects.create(module=second, title="Other", position=0)
    lesson = module.lessons.get()
    Lesson.objects.create(module=module, title="Second", position=1)
    member = CourseStaff.objects.get(course=course, user=team.ta)
    values = {
        "slug": course.slug,
        "module": module.pk,
        "lesson": lesson.pk,
        "member": member.pk,
        "newcomer": UserFactory().email,
    }
    client = as_user(team.user(actor))
    path = "/api/v1/" + _fill(endpoint.path, values)
    expected = endpoint.expected(actor, published)
    refused = (
        unchanged(course, module, lesson, member, counts=(Course, Module, Lesson, CourseStaff))
        if expected >= 400
        else nullcontext()
    )
    with refused:
        response = getattr(client, endpoint.method)(path, _fill(endpoint.body, values) or None)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 401),
        ("student", 403),
        ("ta", 403),
        ("owner", 201),
        ("other_instructor", 201),
        ("admin", 201),
    ],
)
def test_only_instructors_and_admins_create_courses(actor, expected, team, as_user):
    response = as_user(team.user(actor)).post("/api/v1/courses/", {"title": "Mine"})
    assert response.status_code == expected, response.content
    if expected == 201:
        course = Course.objects.get(slug=response.json()["data"]["slug"])
        assert course.status == Course.Status.DRAFT
        owner = CourseStaff.objects.get(course=course)
        assert (owner.user, owner.role) == (team.user(actor), CourseStaff.Role.OWNER)
    else:
        assert not Course.objects.exists()


@pytest.mark.parametrize("actor", ACTORS)
def test_predicates_agree_with_the_queryset_filter(actor, team, make_course):
    draft, published = make_course(), make_course(published=True)
    user = team.user(actor)
    visible = set(Course.objects.filter(visible_courses_q(user)))
    for course in (draft, published):
        assert (course in visible) == can_view_course(user, course)
    assert can_teach(user, draft) == (actor in LEVELS["teach"])
    assert can_edit_course(user, draft) == (actor in LEVELS["edit"])
    assert can_manage_staff(user, draft) == (actor in LEVELS["manage"])
    assert can_create_course(user) == (
        actor in {"owner", "instructor", "other_instructor", "admin"}
    )


def test_forbidden_writes_change_nothing(team, make_course, as_user):
    course = make_course(published=True)
    lesson = Lesson.objects.get(module__course=course)
    ta = as_user(team.ta)
    path = f"/api/v1/courses/{course.slug}/lessons/{lesson.pk}/"
    with unchanged(course, lesson, counts=(Course, Module, Lesson, CourseStaff)):
        assert ta.patch(f"/api/v1/courses/{course.slug}/", {"title": "Hacked"}).status_code == 403
        assert ta.patch(path, {"title": "Hacked"}).status_code == 403
        assert ta.delete(path).status_code == 403
