"""Export a course to plain JSON data and import it back (manage.py export_course /
import_course). Imports go through the same services as the API, so titles are cleaned,
Markdown is rendered afresh (exported HTML is never trusted) and positions are dense."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.dateparse import parse_datetime

from courses.models import Category, Course, Module, Tag
from courses.services.common import slug_candidates
from courses.services.courses import course_create
from courses.services.structure import lesson_create, module_create
from lms.audit.services import audit_log_record

if TYPE_CHECKING:
    from accounts.models import User

EXPORT_FORMAT = "lms-course"
EXPORT_VERSION = 1

COURSE_EXPORT_FIELDS = (
    "title",
    "slug",
    "subtitle",
    "description",
    "language",
    "level",
    "price_amount",
    "currency",
    "enrollment_opens_at",
    "enrollment_closes_at",
    "starts_at",
    "ends_at",
    "capacity",
    "estimated_hours",
    "passing_grade",
    "video_complete_percent",
)
# Added after exports of version 1 were made: an export without them takes the default.
_LATER_COURSE_FIELDS = {"video_complete_percent"}
LESSON_EXPORT_FIELDS = (
    "title",
    "kind",
    "body",
    "video_url",
    "link_url",
    "duration_minutes",
    "is_preview",
    "required_for_completion",
    "release_at",
    "release_after_days",
    "requires_prerequisites",
)
_DATETIME_FIELDS = {
    "enrollment_opens_at",
    "enrollment_closes_at",
    "starts_at",
    "ends_at",
    "release_at",
}


def _value(obj: Any, name: str) -> Any:
    value = getattr(obj, name)
    return value.isoformat() if isinstance(value, datetime) else value


def _category_data(category: Category | None) -> dict[str, Any] | None:
    if category is None:
        return None
    return {
        "slug": category.slug,
        "name": category.name,
        "parent": _category_data(category.parent),
    }


def course_export(*, course: Course) -> dict[str, Any]:
    """The course, its category, tags, modules and lessons as JSON-ready data.

    Files (cover image, lesson files) are referenced by their storage name, not embedded:
    an import into the same storage finds them."""
    course = Course.objects.select_related("category__parent").get(pk=course.pk)
    modules = Module.objects.filter(course=course).order_by("position").prefetch_related("lessons")
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "course": {
            **{name: _value(course, name) for name in COURSE_EXPORT_FIELDS},
            "cover_image": course.cover_image.name or "",
        },
        "category": _category_data(course.category),
        "tags": [{"slug": t.slug, "name": t.name} for t in course.tags.order_by("slug")],
        "modules": [
            {
                "title": module.title,
                "lessons": [
                    {
                        **{name: _value(lesson, name) for name in LESSON_EXPORT_FIELDS},
                        "file": lesson.file.name or "",
                    }
                    for lesson in sorted(module.lessons.all(), key=lambda item: item.position)
                ],
            }
            for module in modules
        ],
    }


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_export")


def _parse(name: str, value: Any) -> Any:
    if name in _DATETIME_FIELDS and value:
        parsed = parse_datetime(str(value))
        if parsed is None:
            raise _invalid(f"{name}: not a date-time: {value!r}")
        return parsed
    return value


def _category_from(data: dict[str, Any] | None) -> Category | None:
    """The category with that slug; created (with its parent) when missing."""
    if not data:
        return None
    existing = Category.objects.filter(slug=data["slug"]).first()
    if existing is not None:
        return existing
    parent = _category_from(data.get("parent"))
    category = Category(slug=data["slug"], name=data.get("name") or data["slug"], parent=parent)
    category.full_clean()
    category.save()
    return category


def _tags_from(items: list[dict[str, Any]]) -> list[Tag]:
    tags = []
    for item in items:
        tag = Tag.objects.filter(slug=item["slug"]).first()
        if tag is None:
            tag = Tag(slug=item["slug"], name=item.get("name") or item["slug"])
            tag.full_clean()
            tag.save()
        tags.append(tag)
    return tags


@transaction.atomic
def course_import(
    *, data: dict[str, Any], owner: User, by: User | None = None
) -> tuple[Course, list[str]]:
    """A new draft from exported data, owned by `owner`. Keeps the exported slug when it
    is free, else takes the next free one ("slug-2", ...). Returns the course and warnings
    (files that the storage does not have)."""
    if data.get("format") != EXPORT_FORMAT or data.get("version") != EXPORT_VERSION:
        raise _invalid(f"Not an {EXPORT_FORMAT} version {EXPORT_VERSION} export.")
    try:
        source = data["course"]
        fields = {
            name: _parse(name, source[name])
            for name in COURSE_EXPORT_FIELDS
            if name in source or name not in _LATER_COURSE_FIELDS
        }
        modules = data["modules"]
        tag_items = data.get("tags", [])
    except (KeyError, TypeError) as exc:
        raise _invalid(f"Missing or malformed part of the export: {exc}") from exc
    warnings: list[str] = []
    cover = source.get("cover_image") or ""
    if cover and not default_storage.exists(cover):
        warnings.append(f"cover image {cover} is not in the storage")
    slug = fields.pop("slug")
    title = fields.pop("title")
    course = course_create(
        by=owner,
        title=title,
        # The exported slug when free, else its next free variant: links stay recognisable.
        slug=slug_candidates(str(slug or title))[0],
        category=_category_from(data.get("category")),
        tags=_tags_from(tag_items),
        cover_image=cover,
        **fields,
    )
    for module_data in modules:
        module = module_create(course=course, title=module_data["title"])
        for lesson_data in module_data.get("lessons", []):
            lesson_fields = {
                name: _parse(name, lesson_data[name])
                for name in LESSON_EXPORT_FIELDS
                if name in lesson_data
            }
            file_name = lesson_data.get("file") or ""
            if file_name:
                if not default_storage.exists(file_name):
                    warnings.append(f"lesson file {file_name} is not in the storage")
                lesson_fields["file"] = file_name
            lesson_create(module=module, **lesson_fields)
    audit_log_record(
        actor=by,
        action="course.imported",
        target=course,
        changes={"slug": [None, course.slug]},
    )
    return course, warnings
