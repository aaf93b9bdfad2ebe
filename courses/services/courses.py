"""Course life cycle: create, update, delete, publish, archive, duplicate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Greatest
from django.utils import timezone

from courses.cache import course_cache_bump
from courses.markdown import render_markdown, strip_markup
from courses.models import Course, CourseStaff, Lesson, Module, Tag
from courses.services.common import (
    clean_title,
    field_error,
    lock_course,
    save_with_unique_slug,
    search_vector_refresh,
)
from lms.audit.services import audit_diff, audit_log_record
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish

if TYPE_CHECKING:
    from accounts.models import User

# What course_create / course_update accept. Status, dates of publishing, the enrollment
# counter and the rendered HTML change only through their own services.
COURSE_FIELDS = frozenset(
    {
        "title",
        "slug",
        "subtitle",
        "description",
        "cover_image",
        "language",
        "level",
        "category",
        "tags",
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
    }
)
_SEARCHED_FIELDS = {"title", "subtitle", "description"}


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - COURSE_FIELDS
    if unknown:
        raise TypeError(f"Not course fields: {', '.join(sorted(unknown))}")


def _apply_fields(course: Course, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        if name == "tags":
            continue
        if name == "title":
            value = clean_title(value)
        elif name == "subtitle":
            value = strip_markup(str(value or ""))
        elif name == "description":
            value = str(value or "")
            course.description_html = render_markdown(value)
        elif name == "slug":
            value = str(value).strip().lower()
        elif name == "currency":
            value = str(value).strip().upper()
        elif name == "cover_image" and value is None:
            value = ""
        setattr(course, name, value)


def _validate(course: Course) -> None:
    # Constraints that full_clean would report generically are checked by Course.clean
    # with field names and codes; the database constraints remain the last word.
    course.full_clean(exclude=["slug", "cover_image"], validate_constraints=False)
    if course.category is not None and course.category.pk is None:
        raise field_error("category", "Unknown category.", "does_not_exist")


def _set_tags(course: Course, tags: Iterable[Tag] | None) -> None:
    if tags is not None:
        course.tags.set(list(tags))


@transaction.atomic
def course_create(*, by: User, title: str, **fields: Any) -> Course:
    """A draft course; `by` becomes its owner. Without `slug`, one is made from the title."""
    _check_fields(fields)
    course = Course()
    _apply_fields(course, {"title": title, **fields})
    _validate(course)
    explicit_slug = bool(fields.get("slug"))
    save_with_unique_slug(
        course, title=course.title, save=lambda c: c.save(), explicit=explicit_slug
    )
    _set_tags(course, fields.get("tags"))
    CourseStaff.objects.create(course=course, user=by, role=CourseStaff.Role.OWNER)
    search_vector_refresh(course.pk)
    course_cache_bump(course.pk)
    return course


@transaction.atomic
def course_update(*, course: Course, by: User | None = None, **fields: Any) -> Course:
    """Changes the given fields (a missing key leaves a field alone; `cover_image=None`
    clears the image). Title and subtitle lose any markup; the description is re-rendered."""
    _check_fields(fields)
    if "slug" in fields and not fields["slug"]:
        raise field_error("slug", "This field may not be blank.", "blank")
    _apply_fields(course, fields)
    course.updated_at = timezone.now()
    _validate(course)
    # Only the changed columns: a full save would overwrite the search vector and the
    # enrollment counter, which are written by other statements.
    update_fields = {name for name in fields if name != "tags"} | {"updated_at"}
    if "description" in fields:
        update_fields.add("description_html")
    if "slug" in fields:
        save_with_unique_slug(
            course,
            title=course.title,
            save=lambda c: c.save(update_fields=update_fields),
            explicit=True,
        )
    else:
        course.save(update_fields=update_fields)
    _set_tags(course, fields.get("tags"))
    if _SEARCHED_FIELDS & set(fields):
        search_vector_refresh(course.pk)
    course_cache_bump(course.pk)
    return course


@transaction.atomic
def course_delete(*, course: Course, by: User | None) -> None:
    """Only drafts without learners: a course anyone could have seen is archived instead."""
    course = lock_course(course.pk)
    if course.status != Course.Status.DRAFT:
        raise ServiceError(
            "course_not_draft", "Only draft courses can be deleted; archive this one instead."
        )
    if course.enrollment_count > 0:
        raise ServiceError("course_has_learners", "This course has learners.")
    audit_log_record(
        actor=by,
        action="course.deleted",
        target=course,
        changes={"slug": [course.slug, None]},
    )
    course_id = course.pk
    course.delete()
    course_cache_bump(course_id)


def course_publish_problems(course: Course) -> dict[str, list[ValidationError]]:
    """What stops a course from being published, by field (empty when it can be).

    Public so that the instructor pages can show a checklist before the button."""
    problems: dict[str, list[ValidationError]] = {}
    if not course.title.strip():
        problems["title"] = [ValidationError("A title is required.", code="required")]
    if not course.description.strip():
        problems["description"] = [
            ValidationError("A description is required to publish.", code="required")
        ]
    modules = Module.objects.filter(course_id=course.pk)
    if not modules.exists():
        problems["modules"] = [
            ValidationError("Add at least one module to publish.", code="no_modules")
        ]
    elif not modules.filter(Exists(Lesson.objects.filter(module_id=OuterRef("pk")))).exists():
        problems["modules"] = [
            ValidationError("Add at least one lesson to a module to publish.", code="no_lessons")
        ]
    return problems


def _transition(
    *, course: Course, by: User | None, action: str, status: str, **extra: Any
) -> Course:
    before = {"status": course.status}
    course.status = status
    course.updated_at = timezone.now()
    for name, value in extra.items():
        setattr(course, name, value)
    course.save(update_fields=["status", "updated_at", *extra])
    audit_log_record(
        actor=by,
        action=action,
        target=course,
        changes=audit_diff(before=before, after={"status": course.status}),
    )
    outbox_publish(topic=action, payload={"course_id": course.pk, "slug": course.slug})
    course_cache_bump(course.pk)
    return course


@transaction.atomic
def course_publish(*, course: Course, by: User | None) -> Course:
    """Draft (or archived) -> published, if `course_publish_problems` finds nothing.

    Raises ValidationError (400, per field) or ServiceError `already_published`.
    Publishes the outbox event `course.published` ({course_id, slug})."""
    course = lock_course(course.pk)
    if course.status == Course.Status.PUBLISHED:
        raise ServiceError("already_published", "The course is already published.")
    problems = course_publish_problems(course)
    if problems:
        raise ValidationError(problems)
    return _transition(
        course=course,
        by=by,
        action="course.published",
        status=Course.Status.PUBLISHED,
        published_at=course.published_at or timezone.now(),
        archived_at=None,
    )


@transaction.atomic
def course_archive(*, course: Course, by: User | None) -> Course:
    """Published -> archived: off the catalogue, no new enrollments (the enrollments app
    checks the status), enrolled learners keep access. Event `course.archived`."""
    course = lock_course(course.pk)
    if course.status != Course.Status.PUBLISHED:
        raise ServiceError("not_published", "Only a published course can be archived.")
    return _transition(
        course=course,
        by=by,
        action="course.archived",
        status=Course.Status.ARCHIVED,
        archived_at=timezone.now(),
    )


_COPIED_COURSE_FIELDS = (
    "subtitle",
    "description",
    "description_html",
    "cover_image",
    "language",
    "level",
    "category_id",
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
_COPIED_LESSON_FIELDS = (
    "title",
    "position",
    "kind",
    "body",
    "body_html",
    "video_url",
    "file",
    "link_url",
    "duration_minutes",
    "is_preview",
    "required_for_completion",
    "release_at",
    "release_after_days",
    "requires_prerequisites",
)


@transaction.atomic
def course_duplicate(*, course: Course, by: User, title: str | None = None) -> Course:
    """A deep copy as a new draft: details, tags, modules and lessons (same positions).

    `by` is the copy's only owner (the source's team is not copied); the copy gets a new
    unique slug, no learners and no publishing dates. Files are shared, not copied."""
    source = lock_course(course.pk)
    copy = Course(
        title=clean_title(title) if title else _copy_title(source.title),
        status=Course.Status.DRAFT,
        **{name: getattr(source, name) for name in _COPIED_COURSE_FIELDS},
    )
    save_with_unique_slug(copy, title=copy.title, save=lambda c: c.save(), explicit=False)
    copy.tags.set(source.tags.all())
    CourseStaff.objects.create(course=copy, user=by, role=CourseStaff.Role.OWNER)
    modules = list(Module.objects.filter(course=source).order_by("position"))
    new_modules = Module.objects.bulk_create(
        [Module(course=copy, title=m.title, position=m.position) for m in modules]
    )
    by_old_id = {old.pk: new for old, new in zip(modules, new_modules, strict=True)}
    lessons = Lesson.objects.filter(module__course=source).order_by("module_id", "position")
    Lesson.objects.bulk_create(
        [
            Lesson(
                module=by_old_id[lesson.module_id],
                **{name: getattr(lesson, name) for name in _COPIED_LESSON_FIELDS},
            )
            for lesson in lessons
        ]
    )
    search_vector_refresh(copy.pk)
    audit_log_record(
        actor=by,
        action="course.duplicated",
        target=copy,
        changes={"source": [None, source.slug]},
    )
    course_cache_bump(copy.pk)
    return copy


def _copy_title(title: str) -> str:
    suffix = " (copy)"
    return title[: 200 - len(suffix)] + suffix


def course_enrollment_count_change(*, course_id: int, delta: int) -> None:
    """For the enrollments app: adjust the stored learner counter (never below zero).

    Bumps the course's cache version (detail counts are exact); catalogue pages are not
    invalidated for this, so "popular" ordering may lag by up to the cache TTL."""
    Course.objects.filter(pk=course_id).update(
        enrollment_count=Greatest(F("enrollment_count") + delta, 0)
    )
    course_cache_bump(course_id, catalogue=False)
