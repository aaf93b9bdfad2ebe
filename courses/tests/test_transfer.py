"""export_course / import_course: a round trip reproduces the structure exactly."""

import json
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from accounts.tests.factories import InstructorFactory
from courses.models import Course, CourseStaff, Lesson
from courses.tests.factories import (
    CategoryFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_course() -> Course:
    parent = CategoryFactory(slug="programming", name="Programming")
    course = CourseFactory(
        published=True,
        slug="py-101",
        title="Python 101",
        description="# Hello\n\nWith `code`.",
        category=CategoryFactory(slug="python", name="Python", parent=parent),
        level="beginner",
        language="en-GB",
        price_amount=1999,
        currency="GBP",
        capacity=40,
        estimated_hours=6,
        passing_grade=65,
    )
    course.tags.set([TagFactory(slug="python"), TagFactory(slug="intro")])
    first, second = ModuleFactory(course=course, title="Basics"), ModuleFactory(course=course)
    LessonFactory(module=first, title="Read me", body="Some **bold** text", is_preview=True)
    LessonFactory(
        module=first, kind="video", video_url="https://video.test/v", body="", release_after_days=3
    )
    name = default_storage.save("courses/lessons/handout.pdf", ContentFile(b"%PDF-1.4"))
    LessonFactory(module=second, kind="file", file=name, required_for_completion=False)
    LessonFactory(
        module=second, kind="link", link_url="https://docs.test", release_at="2031-01-02T03:04:05Z"
    )
    LessonFactory(module=second, kind="quiz", body="", requires_prerequisites=True)
    return course


def export(slug: str) -> dict:
    out = StringIO()
    call_command("export_course", slug, stdout=out)
    return json.loads(out.getvalue())


def test_export_then_import_reproduces_the_structure(rich_course, tmp_path):
    owner = InstructorFactory()
    original = export("py-101")
    assert [len(m["lessons"]) for m in original["modules"]] == [2, 3]
    path = tmp_path / "course.json"
    path.write_text(json.dumps(original))

    out = StringIO()
    call_command("import_course", str(path), owner=owner.email, stdout=out)
    assert "Imported py-101-2" in out.getvalue()  # the slug was taken: the next free one
    copy = Course.objects.get(slug="py-101-2")
    assert copy.status == Course.Status.DRAFT
    assert list(CourseStaff.objects.filter(course=copy).values_list("user", "role")) == [
        (owner.pk, "owner")
    ]
    again = export("py-101-2")
    original["course"].pop("slug")
    again["course"].pop("slug")
    assert again == original
    assert copy.description_html == rich_course.description_html
    assert list(Lesson.objects.filter(module__course=copy).values_list("body_html", flat=True)) == (
        list(Lesson.objects.filter(module__course=rich_course).values_list("body_html", flat=True))
    )


def test_import_into_an_empty_database_creates_category_and_tags(rich_course, tmp_path):
    data = export("py-101")
    Course.objects.all().delete()
    from courses.models import Category, Tag

    Tag.objects.all().delete()
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()
    path = tmp_path / "course.json"
    path.write_text(json.dumps(data))
    call_command("import_course", str(path), owner=InstructorFactory().email, stdout=StringIO())
    course = Course.objects.get(slug="py-101")  # free again: kept
    assert (course.category.slug, course.category.parent.slug) == ("python", "programming")
    assert set(course.tags.values_list("slug", flat=True)) == {"python", "intro"}


def test_import_rejects_bad_input(tmp_path):
    owner = InstructorFactory()
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(CommandError, match="Not an lms-course"):
        call_command("import_course", str(path), owner=owner.email)
    with pytest.raises(CommandError, match="No active user"):
        call_command("import_course", str(path), owner="nobody@example.test")
    with pytest.raises(CommandError, match="No course"):
        call_command("export_course", "missing")
    assert not Course.objects.exists()
