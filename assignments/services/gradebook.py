"""The gradebook's scores and the stored course grade (structure: services.structure).

The course grade (CourseGrade) is a stored rollup. Every service that changes what it is
computed from locks the learner's CourseGrade row first, writes, then recomputes from
the rows (a new statement after the lock, so it sees every change committed by whoever
held the lock before): concurrent grade writes serialise per learner and none is lost.
Changes that move many learners (weights, drops, item points, items removed) ask for a
background recompute through the outbox (queue `progress`).
"""

import logging
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from assignments.models import (
    CourseGrade,
    Grade,
    GradebookSettings,
    GradeCategory,
    GradeItem,
    Score,
    Submission,
)
from assignments.services.calculation import (
    DEFAULT_LETTER_SCHEME,
    CategoryIn,
    GradeResult,
    ItemIn,
    ScoreIn,
    course_grade_compute,
)
from enrollments.completion import GradeStanding
from enrollments.services import course_completion_recheck, course_completion_recheck_many
from lms.audit.services import audit_log_record
from lms.concurrency import race_point
from lms.outbox.services import outbox_publish

logger = logging.getLogger(__name__)

RECOMPUTE_TOPIC = "assignments.gradebook_recompute"
RECOMPUTE_BATCH_SIZE = 500
UNSET: Any = object()


def _money(value: Any) -> str | None:
    return None if value is None else str(value)


def letter_scheme_of(course_id: int) -> list[list[Any]]:
    settings_row = GradebookSettings.objects.filter(course_id=course_id).first()
    if settings_row is None or not settings_row.letter_scheme:
        return [list(row) for row in DEFAULT_LETTER_SCHEME]
    return [list(row) for row in settings_row.letter_scheme]


# --- the stored course grade ---------------------------------------------------------------


def lock_course_grade(*, course_id: int, user_id: int) -> CourseGrade:
    """The learner's CourseGrade row, created if missing, locked until commit: the
    per-learner lock of every gradebook write and of handing in."""
    rows = CourseGrade.objects.select_for_update()
    try:
        return rows.get(course_id=course_id, user_id=user_id)  # one query once it exists
    except CourseGrade.DoesNotExist:
        CourseGrade.objects.get_or_create(course_id=course_id, user_id=user_id)
        return rows.get(course_id=course_id, user_id=user_id)


def _inputs(
    course_id: int, user_ids: list[int]
) -> tuple[list[CategoryIn], list[ItemIn], dict[int, list[ScoreIn]], list[list[Any]]]:
    categories = [
        CategoryIn(c.pk, c.name, c.weight, c.drop_lowest)
        for c in GradeCategory.objects.filter(course_id=course_id)
    ]
    items = [
        ItemIn(i.pk, i.title, i.category_id, i.points_possible)
        for i in GradeItem.objects.filter(course_id=course_id)
    ]
    scores: dict[int, list[ScoreIn]] = defaultdict(list)
    for s in Score.objects.filter(item__course_id=course_id, user_id__in=user_ids):
        scores[s.user_id].append(
            ScoreIn(
                item_id=s.item_id,
                points=s.points,
                excused=s.excused,
                override_points=s.override_points,
                override_reason=s.override_reason,
                penalty_percent=s.penalty_percent,
                final=s.final,
            )
        )
    return categories, items, scores, letter_scheme_of(course_id)


def course_grade_result(*, course_id: int, user_id: int) -> GradeResult:
    """Computed from the rows, with every step (explain)."""
    categories, items, scores, scheme = _inputs(course_id, [user_id])
    return course_grade_compute(
        categories=categories, items=items, scores=scores[user_id], scheme=scheme
    )


def course_grade_refresh(*, course_id: int, user_id: int) -> CourseGrade:
    """Recomputes and stores one learner's grade. Runs in the caller's transaction and
    takes the row lock itself (callers that write scores lock it first)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("course_grade_refresh runs inside the writing transaction")
    row = lock_course_grade(course_id=course_id, user_id=user_id)
    # Between the lock and the read: without the lock, concurrent writers of one learner
    # would each compute from their own uncommitted change and the last one would win.
    race_point("assignments.course_grade_locked")
    result = course_grade_result(course_id=course_id, user_id=user_id)
    row.percent = result.percent
    row.letter = result.letter
    row.computed_at = timezone.now()
    row.save(update_fields=["percent", "letter", "computed_at"])
    # The grade may now let the learner complete the course (or still hold it back). Lock
    # order: this CourseGrade row, then the enrollment row, as every gradebook writer
    # that completes a lesson takes them; enrollments never takes ours.
    course_completion_recheck(course_id=course_id, user_id=user_id)
    return row


def course_grade_standings(course_id: int, user_ids: list[int]) -> dict[int, GradeStanding] | None:
    """Registered with enrollments (course completion): each learner's stored course grade
    and whether it is provisional, in two queries for any number of learners; None when
    the course's gradebook has no item (the course grades nothing).

    Provisional: a counted score that may still change (a quiz waiting for hand grading,
    a draft grade not released yet) or work handed in whose newest version has no
    released grade; an excused or overridden cell is settled whatever its source says."""
    if not GradeItem.objects.filter(course_id=course_id).exists():
        return None
    unsettled = Score.objects.filter(
        item__course_id=course_id,
        user_id=OuterRef("user_id"),
        excused=False,
        override_points__isnull=True,
    ).filter(Q(final=False) | Q(draft_points__isnull=False))
    newer = Submission.objects.filter(
        assignment_id=OuterRef("assignment_id"),
        user_id=OuterRef("user_id"),
        version__gt=OuterRef("version"),
    )
    released = Grade.objects.filter(
        submission_id=OuterRef("pk"), is_current=True, status=Grade.Status.RELEASED
    )
    settled = Score.objects.filter(
        item__course_id=course_id,
        item__source=GradeItem.Source.ASSIGNMENT,
        item__source_id=OuterRef("assignment_id"),
        user_id=OuterRef("user_id"),
    ).filter(Q(excused=True) | Q(override_points__isnull=False))
    waiting = Submission.objects.filter(
        assignment__course_id=course_id, user_id=OuterRef("user_id")
    ).filter(~Exists(newer), ~Exists(released), ~Exists(settled))
    rows = (
        CourseGrade.objects.filter(course_id=course_id, user_id__in=user_ids)
        .annotate(provisional=Exists(unsettled) | Exists(waiting))
        .values_list("user_id", "percent", "provisional")
    )
    return {
        user_id: GradeStanding(percent=percent, provisional=provisional)
        for user_id, percent, provisional in rows
    }


def _recompute_batch(course_id: int, user_ids: list[int]) -> int:
    with transaction.atomic():
        for user_id in user_ids:  # creating missing rows, in id order (no deadlocks)
            CourseGrade.objects.get_or_create(course_id=course_id, user_id=user_id)
        rows = list(
            CourseGrade.objects.select_for_update()
            .filter(course_id=course_id, user_id__in=user_ids)
            .order_by("user_id")
        )
        categories, items, scores, scheme = _inputs(course_id, user_ids)
        changed = []
        now = timezone.now()
        for row in rows:
            result = course_grade_compute(
                categories=categories, items=items, scores=scores[row.user_id], scheme=scheme
            )
            if (row.percent, row.letter) != (result.percent, result.letter):
                row.percent, row.letter, row.computed_at = result.percent, result.letter, now
                changed.append(row)
        CourseGrade.objects.bulk_update(changed, ["percent", "letter", "computed_at"])
        # Every learner of the batch, changed or not: a recompute also settles learners
        # whose completion waited (a constant number of queries for the batch).
        course_completion_recheck_many(course_id=course_id, user_ids=user_ids)
        return len(changed)


def course_grades_recompute(*, course_id: int, batch_size: int = RECOMPUTE_BATCH_SIZE) -> int:
    """Every learner with a score or a stored grade, in batches (one short transaction
    each). Idempotent; returns how many stored grades changed."""
    user_ids = sorted(
        set(Score.objects.filter(item__course_id=course_id).values_list("user_id", flat=True))
        | set(CourseGrade.objects.filter(course_id=course_id).values_list("user_id", flat=True))
    )
    changed = 0
    for start in range(0, len(user_ids), batch_size):
        changed += _recompute_batch(course_id, user_ids[start : start + batch_size])
    logger.info("course grades recomputed", extra={"course_id": course_id, "changed": changed})
    return changed


def gradebook_recompute_schedule(*, course_id: int) -> None:
    """Asks for a background recompute through the outbox (durable, after commit)."""
    with transaction.atomic():
        outbox_publish(topic=RECOMPUTE_TOPIC, payload={"course_id": course_id})


# --- scores ---------------------------------------------------------------------------------


def score_write(
    *,
    item: GradeItem,
    user_id: int,
    by: Any,
    action: str,
    reason: str = "",
    **fields: Any,
) -> Score:
    """Writes score fields, audits old -> new, and refreshes the learner's course grade,
    all in the caller's transaction (which must be atomic)."""
    lock_course_grade(course_id=item.course_id, user_id=user_id)  # first: serialise
    score, _ = Score.objects.select_for_update().get_or_create(item=item, user_id=user_id)
    changes: dict[str, list[Any]] = {}
    for name, value in fields.items():
        old = getattr(score, name)
        if old != value:
            changes[name] = [
                _money(old) if isinstance(old, Decimal) else old,
                _money(value) if isinstance(value, Decimal) else value,
            ]
            setattr(score, name, value)
    if changes:
        score.updated_at = timezone.now()
        score.save()
        if reason:
            changes["reason"] = [None, reason]
        audit_log_record(actor=by, action=action, target=score, changes=changes)
        course_grade_refresh(course_id=item.course_id, user_id=user_id)
    return score


def points_clean(value: Any, attr: str) -> Decimal:
    try:
        result = Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        raise ValidationError({attr: ValidationError("A number.", code="invalid")}) from None
    if not result.is_finite() or result < 0 or result > Decimal("999999"):
        raise ValidationError({attr: ValidationError("0 or more.", code="invalid")})
    return result


@transaction.atomic
def score_adjust(
    *,
    item: GradeItem,
    user_id: int,
    by: Any,
    reason: str = "",
    excused: bool | None = None,
    override_points: Any = UNSET,
    points: Any = UNSET,
) -> Score:
    """Staff changes to a cell: excuse, override (with a reason; None clears it), or the
    points of a manual item. Every change is audited."""
    fields: dict[str, Any] = {}
    if excused is not None:
        fields["excused"] = excused
    if override_points is not UNSET:
        if override_points is not None and not reason.strip():
            raise ValidationError({"reason": ValidationError("Say why.", code="required")})
        fields["override_points"] = (
            None if override_points is None else points_clean(override_points, "override_points")
        )
        fields["override_reason"] = reason[:300] if override_points is not None else ""
    if points is not UNSET:
        if item.source != GradeItem.Source.MANUAL:
            raise ValidationError(
                {"points": ValidationError("Grade it at its source.", code="not_manual")}
            )
        fields["points"] = None if points is None else points_clean(points, "points")
    if not fields:
        raise ValidationError({"non_field_errors": ValidationError("Nothing to change.")})
    return score_write(
        item=item,
        user_id=user_id,
        by=by,
        action="assignments.score_adjusted",
        reason=reason,
        **fields,
    )
