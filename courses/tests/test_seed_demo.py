"""`seed_demo_courses`, run by `seed_demo`: demo courses through the services, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courses.models import Category, Course, CourseStaff, Lesson, Module, Tag

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)  # the users, then (by name) the courses
    return out.getvalue()


def rows(queryset, *fields: str) -> list[tuple]:
    return list(queryset.order_by("pk").values_list(*fields))


def snapshot() -> dict[str, list]:
    return {
        "courses": rows(Course.objects, "slug", "status"),
        "staff": rows(CourseStaff.objects, "course__slug", "user__email", "role"),
        "modules": rows(Module.objects, "course__slug", "title", "position"),
        "lessons": rows(Lesson.objects, "module__title", "title", "position", "kind"),
        "categories": rows(Category.objects, "slug", "parent__slug"),
        "tags": rows(Tag.objects, "slug"),
    }


def test_seed_demo_adds_published_courses_and_a_draft_once(settings):
    settings.DEBUG = True

    first_output = seed()
    first = snapshot()
    second_output = seed()

    assert snapshot() == first
    assert "seed_demo_courses: 4 courses created, 0 already there." in first_output
    assert "seed_demo_courses: 0 courses created, 4 already there." in second_output
    published = Course.objects.filter(status=Course.Status.PUBLISHED)
    assert published.count() == 3
    assert Course.objects.filter(status=Course.Status.DRAFT).count() == 1
    owners = set(CourseStaff.objects.filter(role="owner").values_list("user__email", flat=True))
    assert owners == {"instructor1@demo.lms", "instructor2@demo.lms"}
    for course in published:
        assert course.category_id is not None
        assert course.tags.exists()
        assert course.description_html.startswith("<p>")
        assert Lesson.objects.filter(module__course=course).exists()
    kinds = set(Lesson.objects.filter(module__course__in=published).values_list("kind", flat=True))
    assert {"text", "video", "link", "quiz", "assignment"} <= kinds
    assert Lesson.objects.filter(module__course__in=published, is_preview=True).exists()


def test_the_seeded_catalogue_is_served(settings, client):
    settings.DEBUG = True
    seed()

    slugs = {c["slug"] for c in client.get("/api/v1/courses/").json()["data"]}

    assert slugs == {"demo-python-from-scratch", "demo-django-web-apps", "demo-sql-for-analysts"}


def test_seed_demo_courses_needs_the_demo_users(settings):
    settings.DEBUG = True

    with pytest.raises(CommandError, match="Run seed_demo first"):
        call_command("seed_demo_courses", stdout=StringIO())
    assert not Course.objects.exists()


def test_seed_demo_courses_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo_courses", stdout=StringIO())
