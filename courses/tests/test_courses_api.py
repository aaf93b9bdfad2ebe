"""Course life cycle through the API: create, validate, update, publish, archive, delete,
duplicate; team changes; problem+json errors; stored XSS."""

import io
from html.parser import HTMLParser

import pytest
from PIL import Image

from courses.models import Course, CourseStaff, Lesson, Module
from courses.tests.factories import CategoryFactory, LessonFactory, ModuleFactory, TagFactory
from lms.audit.models import AuditLog
from lms.outbox.models import OutboxMessage
from lms.testing import unchanged

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror="alert(1)">'


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    return {item["attr"]: item["code"] for item in body["errors"]}


def test_create_with_every_field(team, as_user):
    parent = CategoryFactory(slug="dev")
    child = CategoryFactory(slug="web", parent=parent)
    tags = [TagFactory(slug="python"), TagFactory(slug="django")]
    response = as_user(team.owner).post(
        "/api/v1/courses/",
        {
            "title": "Django in Depth",
            "subtitle": "Models to deployment",
            "description": "# Welcome\n\nBuild **real** apps.",
            "language": "pt-BR",
            "level": "intermediate",
            "category": "web",
            "tags": ["python", "django"],
            "price_amount": 4999,
            "currency": "eur",
            "enrollment_opens_at": "2030-01-01T00:00:00Z",
            "enrollment_closes_at": "2030-02-01T00:00:00Z",
            "starts_at": "2030-02-01T00:00:00Z",
            "ends_at": "2030-05-01T00:00:00Z",
            "capacity": 30,
            "estimated_hours": 12,
            "passing_grade": 80,
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["slug"] == "django-in-depth"
    assert data["status"] == "draft"
    assert (
        data["description_html"] == "<h1>Welcome</h1>\n<p>Build <strong>real</strong> apps.</p>\n"
    )
    assert data["category"] == {"id": child.pk, "slug": "web", "name": child.name, "parent": "dev"}
    assert sorted(t["slug"] for t in data["tags"]) == sorted(t.slug for t in tags)
    assert (data["price_amount"], data["currency"], data["is_free"]) == (4999, "EUR", False)
    assert data["instructors"] == [
        {"id": team.owner.pk, "name": team.owner.get_full_name(), "role": "owner"}
    ]
    assert (data["module_count"], data["lesson_count"], data["enrollment_count"]) == (0, 0, 0)


def test_slugs_are_unique_and_explicit_ones_are_checked(team, as_user):
    client = as_user(team.owner)
    slugs = [
        client.post("/api/v1/courses/", {"title": "Intro"}).json()["data"]["slug"] for _ in range(3)
    ]
    assert slugs == ["intro", "intro-2", "intro-3"]
    taken = client.post("/api/v1/courses/", {"title": "Other", "slug": "intro"})
    assert errors_of(taken) == {"slug": "slug_taken"}
    course = Course.objects.get(slug="intro-3")
    clash = client.patch(f"/api/v1/courses/{course.slug}/", {"slug": "intro-2"})
    assert errors_of(clash) == {"slug": "slug_taken"}
    renamed = client.patch(f"/api/v1/courses/{course.slug}/", {"slug": "intro-three"})
    assert renamed.status_code == 200 and renamed.json()["data"]["slug"] == "intro-three"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"title": "required"}),
        ({"title": "   "}, {"title": "blank"}),
        ({"title": "<b></b>"}, {"title": "blank"}),
        ({"title": "x", "level": "expert"}, {"level": "invalid_choice"}),
        ({"title": "x", "price_amount": -1}, {"price_amount": "min_value"}),
        ({"title": "x", "currency": "E1R"}, {"currency": "invalid_currency"}),
        ({"title": "x", "language": "not a language"}, {"language": "invalid"}),
        ({"title": "x", "passing_grade": 101}, {"passing_grade": "max_value"}),
        ({"title": "x", "capacity": 0}, {"capacity": "min_value"}),
        ({"title": "x", "category": "nope"}, {"category": "does_not_exist"}),
        ({"title": "x", "tags": ["nope"]}, {"tags": "does_not_exist"}),
        (
            {
                "title": "x",
                "enrollment_opens_at": "2030-02-01T00:00:00Z",
                "enrollment_closes_at": "2030-01-01T00:00:00Z",
            },
            {"enrollment_closes_at": "before_opening"},
        ),
        (
            {"title": "x", "starts_at": "2030-02-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"},
            {"ends_at": "before_start"},
        ),
    ],
)
def test_validation_errors_are_problems_with_attrs(body, errors, team, as_user):
    response = as_user(team.owner).post("/api/v1/courses/", body, format="json")
    assert errors_of(response) == errors
    assert not Course.objects.exists()


def problem_code(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["code"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "", {"title": "T", "published": True}, "published"),
        ("patch", "{slug}/", {"status": "published"}, "status"),
        ("post", "{slug}/publish/", {"force": True}, "force"),
        ("post", "{slug}/archive/", {"now": True}, "now"),
        ("post", "{slug}/duplicate/", {"title": "Copy", "slug": "copy"}, "slug"),
    ],
)
def test_unknown_fields_are_refused_by_name(method, path, body, field, team, make_course, as_user):
    course = make_course(published=path.endswith("archive/"))
    url = "/api/v1/courses/" + path.format(slug=course.slug)
    with unchanged(course, counts=(Course, AuditLog)):
        response = getattr(as_user(team.owner), method)(url, body, format="json")
    assert problem_code(response, 400) == "validation_error"
    assert response.json()["errors"] == [
        {
            "attr": field,
            "pointer": f"/{field}",
            "code": "unknown_field",
            "detail": "This field is not accepted here.",
        }
    ]


def test_update_rerenders_and_keeps_other_fields(team, make_course, as_user):
    course = make_course(price_amount=100)
    response = as_user(team.instructor).patch(
        f"/api/v1/courses/{course.slug}/", {"description": "*new*", "tags": []}, format="json"
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["description_html"] == "<p><em>new</em></p>\n"
    assert data["price_amount"] == 100 and data["title"] == course.title


def test_cover_image_upload(team, make_course, as_user):
    course = make_course()
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(image, "PNG")
    image.seek(0)
    image.name = "cover.png"
    client = as_user(team.owner)
    response = client.patch(
        f"/api/v1/courses/{course.slug}/", {"cover_image": image}, format="multipart"
    )
    assert response.status_code == 200, response.content
    url = response.json()["data"]["cover_image"]
    assert url.startswith("http://testserver/") and url.endswith(".png")
    assert "cover" not in url.rsplit("/", 1)[-1]  # a random name, not the client's
    fake = io.BytesIO(b"<svg onload=alert(1)>")
    fake.name = "cover.png"
    bad = client.patch(f"/api/v1/courses/{course.slug}/", {"cover_image": fake}, format="multipart")
    assert errors_of(bad) == {"cover_image": "invalid_image"}


# --- publishing ------------------------------------------------------------------------


def test_publish_validation_lists_every_problem(team, as_user):
    client = as_user(team.owner)
    slug = client.post("/api/v1/courses/", {"title": "Empty"}).json()["data"]["slug"]
    response = client.post(f"/api/v1/courses/{slug}/publish/")
    assert errors_of(response) == {"description": "required", "modules": "no_modules"}
    course = Course.objects.get(slug=slug)
    ModuleFactory(course=course)
    client.patch(f"/api/v1/courses/{slug}/", {"description": "About"})
    assert errors_of(client.post(f"/api/v1/courses/{slug}/publish/")) == {"modules": "no_lessons"}
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT and course.published_at is None


def test_publish_archive_republish(team, make_course, as_user):
    course = make_course()
    client = as_user(team.instructor)
    published = client.post(f"/api/v1/courses/{course.slug}/publish/")
    assert published.status_code == 200
    assert published.json()["data"]["status"] == "published"
    first_published_at = published.json()["data"]["published_at"]
    assert first_published_at
    with unchanged(course, counts=(AuditLog, OutboxMessage)):
        again = client.post(f"/api/v1/courses/{course.slug}/publish/")
    assert problem_code(again, 409) == "already_published"
    archived = client.post(f"/api/v1/courses/{course.slug}/archive/")
    assert archived.json()["data"]["status"] == "archived"
    with unchanged(course, counts=(AuditLog, OutboxMessage)):
        again = client.post(f"/api/v1/courses/{course.slug}/archive/")
    assert problem_code(again, 409) == "not_published"
    # Archived: off the catalogue, still reachable by its slug (enrolled learners keep access).
    anonymous = as_user(None)
    assert anonymous.get("/api/v1/courses/").json()["meta"]["count"] == 0
    assert anonymous.get(f"/api/v1/courses/{course.slug}/").status_code == 200
    republished = client.post(f"/api/v1/courses/{course.slug}/publish/")
    assert republished.json()["data"]["published_at"] == first_published_at
    actions = list(
        AuditLog.objects.filter(target_id=str(course.pk))
        .order_by("id")
        .values_list("action", "actor")
    )
    assert actions == [
        ("course.published", team.instructor.pk),
        ("course.archived", team.instructor.pk),
        ("course.published", team.instructor.pk),
    ]
    topics = list(OutboxMessage.objects.order_by("id").values_list("topic", flat=True))
    assert topics == ["course.published", "course.archived", "course.published"]


def test_published_course_keeps_a_lesson(team, make_course, as_user):
    course = make_course(published=True)
    lesson = Lesson.objects.get(module__course=course)
    client = as_user(team.owner)
    with unchanged(course, lesson, counts=(Module, Lesson)):
        response = client.delete(f"/api/v1/courses/{course.slug}/lessons/{lesson.pk}/")
    assert problem_code(response, 409) == "published_course_needs_lessons"
    with unchanged(course, counts=(Module, Lesson)):
        response = client.delete(f"/api/v1/courses/{course.slug}/modules/{lesson.module_id}/")
    assert problem_code(response, 409) == "published_course_needs_lessons"


def test_delete_only_drafts_without_learners(team, make_course, as_user):
    client = as_user(team.owner)
    draft = make_course()
    busy = make_course()
    Course.objects.filter(pk=busy.pk).update(enrollment_count=1)
    with unchanged(busy, counts=(Course, Module, Lesson, CourseStaff, AuditLog)):
        refused = client.delete(f"/api/v1/courses/{busy.slug}/")
    assert problem_code(refused, 409) == "course_has_learners"
    published = make_course(published=True)
    with unchanged(published, counts=(Course, Module, Lesson, CourseStaff, AuditLog)):
        refused = client.delete(f"/api/v1/courses/{published.slug}/")
    assert problem_code(refused, 409) == "course_not_draft"
    assert client.delete(f"/api/v1/courses/{draft.slug}/").status_code == 204
    assert not Course.objects.filter(pk=draft.pk).exists()
    assert not Module.objects.filter(course_id=draft.pk).exists()
    assert AuditLog.objects.filter(action="course.deleted", target_id=str(draft.pk)).exists()


# --- duplicate -------------------------------------------------------------------------


def test_duplicate_is_a_deep_copy_as_a_draft(team, make_course, as_user):
    source = make_course(published=True, category=CategoryFactory(), price_amount=500)
    source.tags.set([TagFactory(), TagFactory()])
    second = ModuleFactory(course=source, title="Second")
    LessonFactory(module=second, kind="video", video_url="https://video.test/1", body="")
    LessonFactory(module=second, kind="link", link_url="https://example.test", is_preview=True)
    Course.objects.filter(pk=source.pk).update(enrollment_count=7)

    response = as_user(team.instructor).post(f"/api/v1/courses/{source.slug}/duplicate/", {})
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    copy = Course.objects.get(slug=data["slug"])
    assert copy.pk != source.pk and copy.slug != source.slug
    assert copy.title == f"{source.title} (copy)"
    assert (copy.status, copy.published_at, copy.enrollment_count) == ("draft", None, 0)
    assert (copy.category_id, copy.price_amount) == (source.category_id, 500)
    assert set(copy.tags.all()) == set(source.tags.all())
    assert list(copy.staff.values_list("user", "role")) == [(team.instructor.pk, "owner")]

    def structure(course):
        fields = ("title", "position", "kind", "body", "body_html", "video_url", "link_url",
                  "is_preview", "duration_minutes")  # fmt: skip
        return [
            (m.title, m.position, list(m.lessons.order_by("position").values_list(*fields)))
            for m in course.modules.order_by("position")
        ]

    assert structure(copy) == structure(source)
    assert not set(Lesson.objects.filter(module__course=copy).values_list("pk", flat=True)) & set(
        Lesson.objects.filter(module__course=source).values_list("pk", flat=True)
    )


# --- team ------------------------------------------------------------------------------


def test_team_changes(team, make_course, as_user):
    from accounts.tests.factories import InstructorFactory, UserFactory

    course = make_course()
    client = as_user(team.owner)
    base = f"/api/v1/courses/{course.slug}/staff/"
    newcomer = InstructorFactory(email="New.Person@Example.test")
    added = client.post(base, {"email": "new.person@example.TEST", "role": "instructor"})
    assert added.status_code == 201, added.content
    assert added.json()["data"]["user"]["id"] == newcomer.pk
    assert errors_of(client.post(base, {"email": newcomer.email, "role": "ta"})) == {
        "email": "already_staff"
    }
    assert errors_of(client.post(base, {"email": "nobody@example.test", "role": "ta"})) == {
        "email": "user_not_found"
    }
    student = UserFactory()
    assert errors_of(client.post(base, {"email": student.email, "role": "instructor"})) == {
        "role": "not_an_instructor"
    }
    assert client.post(base, {"email": student.email, "role": "ta"}).status_code == 201

    members = client.get(base).json()["data"]
    assert len(members) == 5
    owner = CourseStaff.objects.get(course=course, user=team.owner)
    with unchanged(owner, counts=(CourseStaff, AuditLog)):
        demote = client.patch(f"{base}{owner.pk}/", {"role": "instructor"})
        remove = client.delete(f"{base}{owner.pk}/")
    assert problem_code(demote, 409) == "last_owner"
    assert problem_code(remove, 409) == "last_owner"
    new_member = CourseStaff.objects.get(course=course, user=newcomer)
    assert client.patch(f"{base}{new_member.pk}/", {"role": "owner"}).status_code == 200
    assert client.delete(f"{base}{owner.pk}/").status_code == 204  # another owner remains
    assert not CourseStaff.objects.filter(pk=owner.pk).exists()
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"course.staff_added", "course.staff_role_changed", "course.staff_removed"} <= actions


def test_member_of_another_course_is_404(team, make_course, as_user):
    course, other = make_course(), make_course()
    foreign = CourseStaff.objects.get(course=other, user=team.ta)
    response = as_user(team.owner).delete(f"/api/v1/courses/{course.slug}/staff/{foreign.pk}/")
    assert response.status_code == 404
    assert CourseStaff.objects.filter(pk=foreign.pk).exists()


# --- stored XSS ------------------------------------------------------------------------


def test_xss_payloads_come_back_stripped_or_escaped(team, as_user):
    client = as_user(team.owner)
    created = client.post(
        "/api/v1/courses/",
        {
            "title": f"{XSS}Safe title",
            "subtitle": f"Sub{XSS}",
            "description": f"Intro {XSS} [click](javascript:alert(1)) **ok**",
        },
    )
    assert created.status_code == 201, created.content
    slug = created.json()["data"]["slug"]
    module = client.post(f"/api/v1/courses/{slug}/modules/", {"title": f"{XSS}Module"})
    lesson = client.post(
        f"/api/v1/courses/{slug}/lessons/",
        {
            "module": module.json()["data"]["id"],
            "title": f"Lesson{XSS}",
            "body": f"{XSS}\n\n<a href='javascript:alert(1)'>x</a> [y](javascript:alert(2))",
        },
    )
    assert lesson.status_code == 201, lesson.content
    client.post(f"/api/v1/courses/{slug}/publish/")

    detail = client.get(f"/api/v1/courses/{slug}/").json()["data"]
    assert detail["title"] == "Safe title"
    assert detail["subtitle"] == "Sub"
    assert "<strong>ok</strong>" in detail["description_html"]
    lesson_data = client.get(
        f"/api/v1/courses/{slug}/lessons/{lesson.json()['data']['id']}/"
    ).json()["data"]
    assert lesson_data["title"] == "Lesson"
    rendered = [
        detail,
        lesson_data,
        client.get(f"/api/v1/courses/{slug}/outline/").json()["data"],
        client.get("/api/v1/courses/").json()["data"],
        client.get(f"/api/v1/courses/{slug}/modules/").json()["data"],
    ]
    strings = list(_strings(rendered, skip={"description", "body"}))
    assert any("&lt;script&gt;" in value for value in strings)  # escaped, as text
    for value in strings:
        assert_no_active_markup(value)


def _strings(data, *, skip):
    """Every string in the responses, but the Markdown sources (returned as written)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key not in skip:
                yield from _strings(value, skip=skip)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item, skip=skip)
    elif isinstance(data, str):
        yield data


class _TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_no_active_markup(value: str) -> None:
    """What a browser would parse from this string: no scripts, images, handlers or
    javascript: links (escaped text like `&lt;script&gt;` is fine)."""
    parser = _TagCollector()
    parser.feed(value)
    for tag, attrs in parser.tags:
        assert tag not in {"script", "img", "iframe", "object", "style"}, value
        for name, attr_value in attrs:
            assert not name.startswith("on"), value
            assert "javascript:" not in (attr_value or "").lower(), value
