"""Cached reads (catalogue pages, detail, outline) never show data older than a write."""

import threading

import pytest
from django.core.cache import cache, caches
from django.db import connection, transaction

from courses import services
from courses.cache import CATALOGUE_SCOPE, course_scope
from courses.models import Lesson
from courses.selectors import course_outline
from courses.tests.factories import CategoryFactory, CourseFactory, LessonFactory, ModuleFactory
from lms.cache import scope_version
from lms.testing import client_for, make_course

pytestmark = pytest.mark.django_db


def outline_titles(client, slug: str) -> list[str]:
    data = client.get(f"/api/v1/courses/{slug}/outline/").json()["data"]
    return [lesson["title"] for module in data["modules"] for lesson in module["lessons"]]


@pytest.mark.redis
def test_on_redis_a_lesson_title_change_shows_in_the_next_outline(cast):
    assert type(caches["default"]).__name__ == "FailOpenRedisCache"  # really Redis
    course = make_course(cast, lessons=1)
    lesson = Lesson.objects.get(module__course=course)
    reader, editor = client_for(None), client_for(cast.instructor)
    assert outline_titles(reader, course.slug) == [lesson.title]
    assert cache.get(f"v:{course_scope(course.pk)}") is not None  # versions live in Redis
    patch = editor.patch(
        f"/api/v1/courses/{course.slug}/lessons/{lesson.pk}/", {"title": "Renamed"}
    )
    assert patch.status_code == 200
    assert outline_titles(reader, course.slug) == ["Renamed"]


def test_anonymous_reads_follow_a_slug_change_and_keep_drafts_hidden(cast):
    """Anonymous detail and outline find the course through a cached slug -> id: a new
    slug is seen by the next read, and a draft is never found."""
    course = make_course(cast, lessons=1)
    reader, owner = client_for(None), client_for(cast.owner)
    old = course.slug
    for path in ("", "outline/"):
        assert reader.get(f"/api/v1/courses/{old}/{path}").status_code == 200
    assert owner.patch(f"/api/v1/courses/{old}/", {"slug": "renamed-course"}).status_code == 200
    for path in ("", "outline/"):
        assert reader.get(f"/api/v1/courses/{old}/{path}").status_code == 404
        assert reader.get(f"/api/v1/courses/renamed-course/{path}").status_code == 200
    draft = make_course(cast, lessons=1, published=False)
    for path in ("", "outline/"):
        assert reader.get(f"/api/v1/courses/{draft.slug}/{path}").status_code == 404


def test_every_kind_of_write_refreshes_the_cached_reads(cast):
    course = make_course(cast, lessons=1)
    reader, editor = client_for(None), client_for(cast.owner)
    base = f"/api/v1/courses/{course.slug}/"
    lesson = Lesson.objects.get(module__course=course)
    module = lesson.module

    def read() -> tuple:
        detail = reader.get(base).json()["data"]
        catalogue = reader.get("/api/v1/courses/").json()["data"][0]
        return detail, catalogue, outline_titles(reader, course.slug)

    read()  # fill the caches
    editor.patch(base, {"subtitle": "Fresh subtitle"})
    detail, catalogue, _ = read()
    assert detail["subtitle"] == catalogue["subtitle"] == "Fresh subtitle"
    editor.post(f"{base}lessons/", {"module": module.pk, "title": "Second", "duration_minutes": 5})
    detail, catalogue, titles = read()
    assert titles == [lesson.title, "Second"]
    assert detail["lesson_count"] == catalogue["lesson_count"] == 2
    second = Lesson.objects.get(title="Second")
    editor.post(f"{base}lessons/{second.pk}/reorder/", {"position": 0})
    assert read()[2] == ["Second", lesson.title]
    editor.post(f"{base}staff/", {"email": cast.other_instructor.email, "role": "instructor"})
    detail, catalogue, _ = read()
    assert cast.other_instructor.pk in {i["id"] for i in detail["instructors"]}
    assert cast.other_instructor.pk in {i["id"] for i in catalogue["instructors"]}
    editor.post(f"{base}archive/")
    assert reader.get("/api/v1/courses/").json()["data"] == []
    assert read_status(reader, base) == "archived"


def read_status(client, path: str) -> str:
    return client.get(path).json()["data"]["status"]


def test_category_rename_refreshes_course_detail(cast):
    course = make_course(cast, lessons=1, category=CategoryFactory(name="Old"))
    reader = client_for(None)
    assert reader.get(f"/api/v1/courses/{course.slug}/").json()["data"]["category"]["name"] == "Old"
    client_for(cast.admin).patch(f"/api/v1/categories/{course.category.slug}/", {"name": "New"})
    assert reader.get(f"/api/v1/courses/{course.slug}/").json()["data"]["category"]["name"] == "New"


def test_versions_move_forward_on_writes():
    course = CourseFactory()
    module = ModuleFactory(course=course)
    scopes = course_scope(course.pk), CATALOGUE_SCOPE
    before = [scope_version(scope) for scope in scopes]
    services.module_update(module=module, title="Changed")
    after = [scope_version(scope) for scope in scopes]
    assert after[0] > before[0] and after[1] > before[1]
    cache.delete(f"v:{course_scope(course.pk)}")  # evicted: the new one is still newer
    assert scope_version(course_scope(course.pk)) > after[0]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_reader_during_the_write_cannot_leave_stale_data_behind():
    """A reader between the write and its commit sees the old rows and caches them under
    the already-bumped version; the bump after commit makes that entry unreachable."""
    course = CourseFactory(published=True)
    lesson = LessonFactory(module=ModuleFactory(course=course), title="Old")

    def read_from_another_connection() -> None:
        try:
            assert course_outline(course=course)["modules"][0]["lessons"][0]["title"] == "Old"
        finally:
            connection.close()

    with transaction.atomic():
        services.lesson_update(lesson=lesson, title="New")
        reader = threading.Thread(target=read_from_another_connection)
        reader.start()
        reader.join(timeout=30)
    titles = [item["title"] for item in course_outline(course=course)["modules"][0]["lessons"]]
    assert titles == ["New"]
