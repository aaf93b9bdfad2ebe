"""Grading submissions: points or rubric selections, feedback, drafts and release.

Each grading adds a Grade row (the newest is current, the others are history). A draft
is staff-only: it waits in the gradebook cell's `draft_points`. Releasing copies the
points into the cell, where they count; the learner's course grade is refreshed in the
same transaction, and every change is in the audit log.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assignments.models import Assignment, Grade, GradeItem, Submission
from assignments.services import files as file_services
from assignments.services.gradebook import lock_course_grade, score_write
from assignments.services.submissions import complete_linked_lesson
from courses.markdown import render_markdown
from lms.errors import ServiceError

CENT = Decimal("0.01")


def rubric_score(
    *, rubric: list[dict[str, Any]], selections: Any
) -> tuple[Decimal, dict[str, str], dict[str, str]]:
    """Every criterion needs one of its levels; returns (sum, selections, points per
    criterion). Each wrong selection is reported at its own key of `rubric_selections`."""
    if not rubric:
        raise ValidationError(
            {"rubric_selections": ValidationError("This assignment has no rubric.", "no_rubric")}
        )
    if not isinstance(selections, dict):
        raise ValidationError(
            {"rubric_selections": ValidationError("{criterion id: level id}", "invalid")}
        )
    total = Decimal("0")
    chosen: dict[str, str] = {}
    points: dict[str, str] = {}
    errors: dict[str, ValidationError] = {}
    for criterion in rubric:
        attr = f"rubric_selections.{criterion['id']}"
        level_id = selections.get(criterion["id"])
        if level_id in (None, ""):
            errors[attr] = ValidationError(f"Choose a level for {criterion['title']}.", "required")
            continue
        level = next((lv for lv in criterion["levels"] if lv["id"] == level_id), None)
        if level is None:
            errors[attr] = ValidationError(
                f"{criterion['title']} has no level {level_id!r}.", "does_not_exist"
            )
            continue
        chosen[criterion["id"]] = level["id"]
        points[criterion["id"]] = level["points"]
        total += Decimal(level["points"])
    known = {c["id"] for c in rubric}
    for key in selections:
        if key not in known:
            errors[f"rubric_selections.{key}"] = ValidationError(
                "The rubric has no such criterion.", "unknown_criterion"
            )
    if errors:
        raise ValidationError(errors)
    return total, chosen, points


def _item_for(assignment: Assignment) -> GradeItem:
    return GradeItem.objects.get(
        course_id=assignment.course_id,
        source=GradeItem.Source.ASSIGNMENT,
        source_id=assignment.pk,
    )


def _penalised(raw: Decimal, penalty_percent: Decimal) -> Decimal:
    return (raw * (Decimal("100") - penalty_percent) / Decimal("100")).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def grade_submission(
    *,
    submission: Submission,
    by: Any,
    points: Any = None,
    rubric_selections: Any = None,
    feedback: str = "",
    feedback_file: UploadedFile | None = None,
    release: bool = False,
    reason: str = "",
) -> Grade:
    """Grades the newest version of a learner's work (409 `not_latest` otherwise).
    Rubric: score = sum of the chosen levels, capped at the assignment's points."""
    assignment = submission.assignment
    possible = assignment.points_possible
    rubric_chosen: dict[str, str] = {}
    rubric_points: dict[str, str] = {}
    if rubric_selections not in (None, {}, ""):
        if points not in (None, ""):
            raise ValidationError(
                {"points": ValidationError("Give points or rubric selections, not both.", "both")}
            )
        raw, rubric_chosen, rubric_points = rubric_score(
            rubric=assignment.rubric, selections=rubric_selections
        )
        raw = min(raw, possible)
    else:
        if points in (None, ""):
            raise ValidationError({"points": ValidationError("Points are required.", "required")})
        try:
            raw = Decimal(str(points))
        except ArithmeticError:
            raise ValidationError({"points": ValidationError("A number.", "invalid")}) from None
        if not raw.is_finite() or raw < 0 or raw > possible:
            raise ValidationError({"points": ValidationError(f"0 to {possible}.", "out_of_range")})
    raw = raw.quantize(CENT, rounding=ROUND_HALF_UP)
    feedback_key = feedback_name = ""
    if feedback_file is not None:
        check = file_services.check_file(
            upload=feedback_file,
            allowed=file_services.FEEDBACK_EXTENSIONS,
            max_size=assignment.max_file_size,
        )
        feedback_key, _ = file_services.store_file(
            upload=feedback_file, prefix=f"feedback/{assignment.pk}", extension=check.extension
        )
        feedback_name = check.filename
    try:
        return _grade_write(
            submission=submission,
            by=by,
            raw=raw,
            chosen=rubric_chosen,
            rubric_points=rubric_points,
            feedback=feedback,
            feedback_key=feedback_key,
            feedback_name=feedback_name,
            release=release,
            reason=reason,
        )
    except BaseException:
        if feedback_key:
            file_services.delete_files([feedback_key])
        raise


@transaction.atomic
def _grade_write(
    *,
    submission: Submission,
    by: Any,
    raw: Decimal,
    chosen: dict[str, str],
    rubric_points: dict[str, str],
    feedback: str,
    feedback_key: str,
    feedback_name: str,
    release: bool,
    reason: str,
) -> Grade:
    assignment = submission.assignment
    lock_course_grade(course_id=assignment.course_id, user_id=submission.user_id)
    newest = Submission.objects.filter(assignment=assignment, user_id=submission.user_id).aggregate(
        v=Max("version")
    )["v"]
    if newest != submission.version:
        raise ServiceError("not_latest", "Only the newest version is graded.", newest=newest)
    previous = Grade.objects.filter(submission=submission, is_current=True).first()
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    now = timezone.now()
    points = _penalised(raw, submission.penalty_percent)
    grade = Grade.objects.create(
        submission=submission,
        grader=by,
        raw_points=raw,
        penalty_percent=submission.penalty_percent,
        points=points,
        rubric_selections=chosen,
        rubric_points=rubric_points,
        feedback=feedback[:20000],
        feedback_html=render_markdown(feedback[:20000]),
        feedback_file_key=feedback_key or (previous.feedback_file_key if previous else ""),
        feedback_file_name=feedback_name or (previous.feedback_file_name if previous else ""),
        status=Grade.Status.RELEASED if release else Grade.Status.DRAFT,
        reason=reason[:300],
        created_at=now,
        released_at=now if release else None,
    )
    _cell_write(grade, by=by, reason=reason)
    return grade


def _cell_write(grade: Grade, *, by: Any, reason: str) -> None:
    submission = grade.submission
    assignment = submission.assignment
    if grade.status == Grade.Status.RELEASED:
        fields: dict[str, Any] = {
            "points": grade.points,
            "draft_points": None,
            "penalty_percent": grade.penalty_percent,
        }
        action = "assignments.grade_released"
    else:
        fields = {"draft_points": grade.points}
        action = "assignments.grade_drafted"
    score_write(
        item=_item_for(assignment),
        user_id=submission.user_id,
        by=by,
        action=action,
        reason=reason,
        **fields,
    )
    if (
        grade.status == Grade.Status.RELEASED
        and assignment.lesson_id
        and assignment.complete_on == Assignment.CompleteOn.PASS
        and grade.points * 100 >= assignment.pass_percent * assignment.points_possible
    ):
        complete_linked_lesson(assignment=assignment, user=submission.user)


@transaction.atomic
def grades_release(*, assignment: Assignment, by: Any, user_ids: list[int] | None = None) -> int:
    """Releases the current draft grades (of `user_ids`, or everyone); returns how many.
    Learners are locked in id order, so two releases cannot deadlock."""
    drafts = Grade.objects.filter(
        submission__assignment=assignment, is_current=True, status=Grade.Status.DRAFT
    ).select_related("submission__user", "submission__assignment__course")
    if user_ids is not None:
        drafts = drafts.filter(submission__user_id__in=user_ids)
    released = 0
    now = timezone.now()
    for grade in sorted(drafts, key=lambda g: g.submission.user_id):
        lock_course_grade(course_id=assignment.course_id, user_id=grade.submission.user_id)
        grade.status = Grade.Status.RELEASED
        grade.released_at = now
        grade.save(update_fields=["status", "released_at"])
        _cell_write(grade, by=by, reason="bulk release")
        released += 1
    return released
