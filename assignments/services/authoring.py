"""Assignments as staff author them: create, update, delete, rubrics, extensions."""

import secrets
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assignments.models import Assignment, Extension, GradeCategory, GradeItem
from assignments.services import structure
from assignments.services.files import validate_extensions
from courses.markdown import render_markdown, strip_markup
from courses.services import lesson_activity_changed
from lms.audit.services import audit_log_record

if TYPE_CHECKING:
    from courses.models import Course

EDITABLE_FIELDS = (
    "title",
    "instructions",
    "lesson",
    "category",
    "allow_text",
    "allow_url",
    "allow_files",
    "allowed_extensions",
    "max_file_size",
    "max_files",
    "points_possible",
    "due_at",
    "available_from",
    "available_until",
    "late_policy",
    "late_penalty_per_day",
    "late_penalty_floor",
    "max_resubmissions",
    "rubric",
    "complete_on",
    "pass_percent",
    "is_published",
)
MAX_CRITERIA = 30
MAX_LEVELS = 10


def _decimal(value: Any, attr: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {attr: ValidationError("A number is required.", code="invalid")}
        ) from None
    if not result.is_finite() or result < 0:
        raise ValidationError({attr: ValidationError("Must be 0 or more.", code="invalid")})
    return result.quantize(Decimal("0.01"))


def rubric_clean(rubric: Any) -> list[dict[str, Any]]:
    """[{id?, title, levels: [{id?, title, points}]}] -> the same with stable ids."""
    if rubric in (None, ""):
        return []
    if not isinstance(rubric, list) or len(rubric) > MAX_CRITERIA:
        raise ValidationError({"rubric": ValidationError("A list of criteria.", code="invalid")})
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, criterion in enumerate(rubric):
        attr = f"rubric.{index}"
        if not isinstance(criterion, dict):
            raise ValidationError({attr: ValidationError("A criterion object.", code="invalid")})
        title = strip_markup(str(criterion.get("title", "")))[:200]
        levels = criterion.get("levels")
        if not title:
            raise ValidationError({attr: ValidationError("A title is required.", code="required")})
        if not isinstance(levels, list) or not 1 <= len(levels) <= MAX_LEVELS:
            raise ValidationError(
                {attr: ValidationError(f"1 to {MAX_LEVELS} levels.", code="invalid_levels")}
            )
        out_levels = []
        for level_index, level in enumerate(levels):
            level_attr = f"{attr}.levels.{level_index}"
            if not isinstance(level, dict):
                raise ValidationError({level_attr: ValidationError("A level.", code="invalid")})
            out_levels.append(
                {
                    "id": _rubric_id(level.get("id"), seen),
                    "title": strip_markup(str(level.get("title", "")))[:200]
                    or f"Level {level_index + 1}",
                    "points": str(_decimal(level.get("points"), f"{level_attr}.points")),
                }
            )
        cleaned.append(
            {"id": _rubric_id(criterion.get("id"), seen), "title": title, "levels": out_levels}
        )
    return cleaned


def _rubric_id(value: Any, seen: set[str]) -> str:
    text = str(value or "")
    if not text or len(text) > 40 or text in seen or not text.replace("-", "").isalnum():
        text = secrets.token_hex(4)
    seen.add(text)
    return text


def rubric_max(rubric: list[dict[str, Any]]) -> Decimal:
    return sum(
        (max(Decimal(level["points"]) for level in c["levels"]) for c in rubric), Decimal("0")
    )


def _apply(assignment: Assignment, fields: dict[str, Any]) -> None:
    course = assignment.course
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"Not an editable field: {name}")
        setattr(assignment, name, value)
    if "title" in fields:
        assignment.title = strip_markup(assignment.title)[:200]
        if not assignment.title:
            raise ValidationError({"title": ValidationError("Required.", code="required")})
    if "instructions" in fields:
        assignment.instructions_html = render_markdown(assignment.instructions)
    if "allowed_extensions" in fields:
        assignment.allowed_extensions = validate_extensions(list(fields["allowed_extensions"]))
    if "rubric" in fields:
        assignment.rubric = rubric_clean(fields["rubric"])
    lesson = assignment.lesson  # a Lesson: the foreign key refuses anything else
    if lesson is not None and lesson.module.course_id != course.pk:
        raise ValidationError({"lesson": ValidationError("Not in this course.", code="invalid")})
    category = assignment.category
    if category is not None and category.course_id != course.pk:
        raise ValidationError({"category": ValidationError("Not in this course.", code="invalid")})
    if assignment.allow_files and not assignment.allowed_extensions:
        raise ValidationError(
            {"allowed_extensions": ValidationError("List the accepted types.", code="required")}
        )
    if not (assignment.allow_text or assignment.allow_url or assignment.allow_files):
        raise ValidationError(
            {"allow_text": ValidationError("Allow at least one type.", code="no_type")}
        )
    if assignment.max_file_size > _hard_cap():
        raise ValidationError(
            {"max_file_size": ValidationError(f"At most {_hard_cap()} bytes.", code="too_large")}
        )
    if assignment.max_files < 1 or assignment.max_files > 20:
        raise ValidationError({"max_files": ValidationError("1 to 20.", code="invalid")})
    a_from, until = assignment.available_from, assignment.available_until
    if a_from and until and until < a_from:
        raise ValidationError(
            {"available_until": ValidationError("Ends before it starts.", code="invalid")}
        )
    assignment.full_clean(exclude=["course", "lesson", "category", "rubric"])


def _hard_cap() -> int:
    return int(settings.ASSIGNMENTS_MAX_FILE_SIZE)


@transaction.atomic
def assignment_create(*, course: "Course", by: Any, **fields: Any) -> Assignment:
    """A new assignment with its gradebook item (in the `category`, or the course's
    Assignments category)."""
    assignment = Assignment(course=course)
    _apply(assignment, fields)
    if assignment.category is None:
        assignment.category = structure.default_category(
            course_id=course.pk, kind=GradeCategory.Kind.ASSIGNMENTS
        )
    assignment.save()
    structure.item_upsert(
        course_id=course.pk,
        source=GradeItem.Source.ASSIGNMENT,
        source_id=assignment.pk,
        title=assignment.title,
        points_possible=assignment.points_possible,
        due_at=assignment.due_at,
        category=assignment.category,
    )
    audit_log_record(actor=by, action="assignments.assignment_created", target=assignment)
    if assignment.lesson_id:  # the lesson now shows this assignment's id
        lesson_activity_changed(course_id=course.pk)
    return assignment


@transaction.atomic
def assignment_update(*, assignment: Assignment, by: Any, **fields: Any) -> Assignment:
    current = Assignment.objects.select_for_update().select_related("course").get(pk=assignment.pk)
    before = {name: str(getattr(current, name)) for name in fields}
    # The lesson shows its assignment and what completes it: the outline is rebuilt when
    # either changes.
    linked = _lesson_facts(current)
    _apply(current, fields)
    current.updated_at = timezone.now()
    current.save()
    structure.item_upsert(
        course_id=current.course_id,
        source=GradeItem.Source.ASSIGNMENT,
        source_id=current.pk,
        title=current.title,
        points_possible=current.points_possible,
        due_at=current.due_at,
        category=current.category,
    )
    after = {name: str(getattr(current, name)) for name in fields}
    changes = {k: [before[k], after[k]] for k in fields if before[k] != after[k]}
    audit_log_record(
        actor=by, action="assignments.assignment_updated", target=current, changes=changes
    )
    if _lesson_facts(current) != linked:
        lesson_activity_changed(course_id=current.course_id)
    return current


def _lesson_facts(assignment: Assignment) -> tuple[Any, ...]:
    return (
        assignment.lesson_id,
        assignment.is_published,
        assignment.complete_on,
        assignment.pass_percent,
    )


@transaction.atomic
def assignment_delete(*, assignment: Assignment, by: Any) -> None:
    audit_log_record(actor=by, action="assignments.assignment_deleted", target=assignment)
    structure.item_delete(
        course_id=assignment.course_id, source=GradeItem.Source.ASSIGNMENT, source_id=assignment.pk
    )
    if assignment.lesson_id:
        lesson_activity_changed(course_id=assignment.course_id)
    assignment.delete()


@transaction.atomic
def extension_grant(
    *, assignment: Assignment, user: Any, extra_days: int, by: Any, reason: str = ""
) -> Extension:
    if not 0 <= extra_days <= 365:
        raise ValidationError({"extra_days": ValidationError("0 to 365.", code="invalid")})
    old = Extension.objects.filter(assignment=assignment, user=user).first()
    extension, _ = Extension.objects.update_or_create(
        assignment=assignment,
        user=user,
        defaults={"extra_days": extra_days, "reason": reason[:300], "granted_by": by},
    )
    audit_log_record(
        actor=by,
        action="assignments.extension_granted",
        target=extension,
        changes={
            "extra_days": [old.extra_days if old else None, extra_days],
            "reason": [None, reason],
        },
    )
    return extension
