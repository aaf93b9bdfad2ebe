"""Gradebook structure: categories (weights, drops), items (assignments, quizzes, manual)
and the letter scheme. Changes that move many learners' grades ask for a background
recompute (assignments.services.gradebook.gradebook_recompute_schedule)."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assignments.models import GradebookSettings, GradeCategory, GradeItem
from assignments.services.gradebook import gradebook_recompute_schedule
from lms.audit.services import audit_log_record

DEFAULT_NAMES = {
    GradeCategory.Kind.ASSIGNMENTS: "Assignments",
    GradeCategory.Kind.QUIZZES: "Quizzes",
}


def default_category(*, course_id: int, kind: str) -> GradeCategory:
    existing = GradeCategory.objects.filter(course_id=course_id, kind=kind).first()
    if existing is not None:
        return existing
    category, _ = GradeCategory.objects.get_or_create(
        course_id=course_id,
        name=DEFAULT_NAMES[GradeCategory.Kind(kind)],
        defaults={
            "kind": kind,
            "position": GradeCategory.objects.filter(course_id=course_id).count(),
        },
    )
    return category


def item_upsert(
    *,
    course_id: int,
    source: str,
    source_id: int | None,
    title: str,
    points_possible: Decimal,
    due_at: Any = None,
    category: GradeCategory | None = None,
) -> GradeItem:
    """Creates or updates the item of a source; a change that moves grades (points,
    category) schedules a background recompute of the course."""
    # Manual items have no source id: each call makes a new one.
    item = (
        GradeItem.objects.select_for_update()
        .filter(course_id=course_id, source=source, source_id=source_id)
        .first()
        if source_id is not None
        else None
    )
    if item is None:
        return GradeItem.objects.create(
            course_id=course_id,
            source=source,
            source_id=source_id,
            title=title[:200],
            points_possible=points_possible,
            due_at=due_at,
            category=category,
            position=GradeItem.objects.filter(course_id=course_id).count(),
        )
    moves = item.points_possible != points_possible or (
        category is not None and item.category_id != category.pk
    )
    item.title = title[:200]
    item.points_possible = points_possible
    item.due_at = due_at
    if category is not None:
        item.category = category
    item.save()
    if moves:
        gradebook_recompute_schedule(course_id=course_id)
    return item


def item_delete(*, course_id: int, source: str, source_id: int) -> None:
    deleted, _ = GradeItem.objects.filter(
        course_id=course_id, source=source, source_id=source_id
    ).delete()
    if deleted:
        gradebook_recompute_schedule(course_id=course_id)


@transaction.atomic
def manual_item_create(
    *, course_id: int, title: str, points_possible: Decimal, category: GradeCategory, by: Any
) -> GradeItem:
    if category.course_id != course_id:
        raise ValidationError({"category": ValidationError("Not in this course.", code="invalid")})
    if points_possible <= 0:
        raise ValidationError({"points_possible": ValidationError("Must be > 0.", code="invalid")})
    item = item_upsert(
        course_id=course_id,
        source=GradeItem.Source.MANUAL,
        source_id=None,
        title=title,
        points_possible=points_possible,
        category=category,
    )
    audit_log_record(actor=by, action="assignments.item_created", target=item)
    return item


def _category_check(weight: Decimal, drop_lowest: int) -> None:
    if weight < 0:
        raise ValidationError({"weight": ValidationError("0 or more.", code="invalid")})
    if not 0 <= drop_lowest <= 50:
        raise ValidationError({"drop_lowest": ValidationError("0 to 50.", code="invalid")})


@transaction.atomic
def category_create(
    *, course_id: int, name: str, weight: Decimal, drop_lowest: int = 0, by: Any
) -> GradeCategory:
    _category_check(weight, drop_lowest)
    if GradeCategory.objects.filter(course_id=course_id, name=name).exists():
        raise ValidationError({"name": ValidationError("Already exists.", code="duplicate")})
    category = GradeCategory.objects.create(
        course_id=course_id,
        name=name,
        weight=weight,
        drop_lowest=drop_lowest,
        position=GradeCategory.objects.filter(course_id=course_id).count(),
    )
    audit_log_record(actor=by, action="assignments.category_created", target=category)
    return category


@transaction.atomic
def category_update(
    *,
    category: GradeCategory,
    by: Any,
    name: str | None = None,
    weight: Decimal | None = None,
    drop_lowest: int | None = None,
) -> GradeCategory:
    current = GradeCategory.objects.select_for_update().get(pk=category.pk)
    before = {"name": current.name, "weight": str(current.weight), "drop": current.drop_lowest}
    if name is not None:
        taken = GradeCategory.objects.filter(course_id=current.course_id, name=name)
        if taken.exclude(pk=current.pk).exists():
            raise ValidationError({"name": ValidationError("Already exists.", code="duplicate")})
        current.name = name
    if weight is not None:
        current.weight = weight
    if drop_lowest is not None:
        current.drop_lowest = drop_lowest
    _category_check(current.weight, current.drop_lowest)
    current.save()
    after = {"name": current.name, "weight": str(current.weight), "drop": current.drop_lowest}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    audit_log_record(
        actor=by, action="assignments.category_updated", target=current, changes=changes
    )
    if before["weight"] != after["weight"] or before["drop"] != after["drop"]:
        gradebook_recompute_schedule(course_id=current.course_id)
    return current


@transaction.atomic
def category_delete(*, category: GradeCategory, by: Any) -> None:
    """Its items become uncategorised (they stay, with their scores)."""
    audit_log_record(actor=by, action="assignments.category_deleted", target=category)
    course_id = category.course_id
    category.delete()
    gradebook_recompute_schedule(course_id=course_id)


@transaction.atomic
def letter_scheme_set(*, course_id: int, scheme: list[Any], by: Any) -> GradebookSettings:
    """[[letter, minimum percent], ...]: distinct letters and minimums, one at 0."""
    cleaned: list[list[Any]] = []
    try:
        for letter, minimum in scheme:
            value = Decimal(str(minimum))
            if not (isinstance(letter, str) and 1 <= len(letter) <= 8 and 0 <= value <= 100):
                raise ValueError
            cleaned.append([letter, float(value) if value % 1 else int(value)])
    except (TypeError, ValueError, ArithmeticError):
        raise ValidationError(
            {"scheme": ValidationError("[[letter, minimum 0..100], ...]", code="invalid")}
        ) from None
    minimums = [Decimal(str(row[1])) for row in cleaned]
    letters = [row[0] for row in cleaned]
    if not cleaned or 0 not in minimums or len(set(minimums)) != len(minimums):
        raise ValidationError(
            {"scheme": ValidationError("Distinct minimums, one of them 0.", code="invalid")}
        )
    if len(set(letters)) != len(letters):
        raise ValidationError({"scheme": ValidationError("Distinct letters.", code="invalid")})
    cleaned.sort(key=lambda row: Decimal(str(row[1])), reverse=True)
    row, _ = GradebookSettings.objects.get_or_create(course_id=course_id)
    old = row.letter_scheme
    row.letter_scheme = cleaned
    row.updated_at = timezone.now()
    row.save()
    audit_log_record(
        actor=by,
        action="assignments.letter_scheme_set",
        target=row,
        changes={"letter_scheme": [old, cleaned]},
    )
    gradebook_recompute_schedule(course_id=course_id)
    return row
