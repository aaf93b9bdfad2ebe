"""Reads with rules: visible assignments and submissions, grades as each viewer may see
them, and the gradebook grid. Lists run a constant number of queries for any size."""

from collections import defaultdict
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from accounts.models import User
from assignments.models import (
    Assignment,
    CourseGrade,
    Grade,
    GradeCategory,
    GradeItem,
    Score,
    Submission,
    SubmissionFile,
)
from assignments.permissions import can_grade, can_view_assignment, can_view_submission
from courses.models import Course
from courses.selectors import LessonActivity, activity_per_lesson
from enrollments.models import Enrollment
from enrollments.selectors import roster_list
from lms.audit.models import AuditLog


def assignment_list(*, course: Course, user: Any) -> QuerySet[Assignment]:
    qs = Assignment.objects.filter(course_id=course.pk).select_related("course", "category")
    if not can_grade(user, course):
        qs = qs.filter(is_published=True)
    return qs.order_by("due_at", "id")


def assignment_get_visible(*, assignment_id: Any, user: Any) -> Assignment:
    assignment = (
        Assignment.objects.select_related("course", "lesson", "category")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or not can_view_assignment(user, assignment):
        raise Http404
    return assignment


def assignment_upload_limits(*, assignment_id: Any, cap: int) -> tuple[int, int]:
    """(bytes per file, files) an assignment accepts, for checks made before the body is
    read (so before its visibility is known: an unknown id gets the site-wide cap)."""
    row = Assignment.objects.filter(pk=assignment_id).values("max_file_size", "max_files").first()
    if row is None:
        return cap, 1
    return min(row["max_file_size"], cap), row["max_files"]


def _with_details(qs: QuerySet[Submission]) -> QuerySet[Submission]:
    return qs.select_related("assignment__course", "user").prefetch_related(
        Prefetch("files", queryset=SubmissionFile.objects.order_by("id")),
        Prefetch("grades", queryset=Grade.objects.select_related("grader").order_by("-id")),
    )


def submission_get_visible(*, submission_id: Any, user: Any) -> Submission:
    submission = _with_details(Submission.objects.filter(pk=submission_id)).first()
    if submission is None or not can_view_submission(user, submission):
        raise Http404
    return submission


def submission_list(
    *, assignment: Assignment, user: Any, learner_id: int | None = None
) -> QuerySet[Submission]:
    """Staff: the newest version of each learner (or every version of `learner_id`);
    learners: their own versions, newest first."""
    qs = Submission.objects.filter(assignment_id=assignment.pk)
    if can_grade(user, assignment.course):
        if learner_id is not None:
            qs = qs.filter(user_id=learner_id)
        else:
            newest = (
                Submission.objects.filter(assignment_id=assignment.pk, user_id=OuterRef("user_id"))
                .order_by("-version")
                .values("version")[:1]
            )
            qs = qs.filter(version=Subquery(newest))
        return _with_details(qs).order_by("user_id", "-version")
    return _with_details(qs.filter(user_id=user.pk)).order_by("-version")


def grading_queue_position(
    *, assignment: Assignment, user: Any, learner_id: Any = None
) -> tuple[Submission | None, int, int, int | None, int | None]:
    """The speed grader's place in the staff queue (each learner's newest version, by
    learner id) without loading the queue: (the submission of `learner_id`, else the
    first; its 1-based position; the queue's length; the previous and the next learner's
    id). A constant number of queries for any class size."""
    queue = submission_list(assignment=assignment, user=user)
    submission = None
    if learner_id is not None and str(learner_id).isdigit():
        submission = queue.filter(user_id=int(learner_id)).first()
    if submission is None:
        submission = queue.first()
    if submission is None:
        return None, 0, 0, None, None
    ids = queue.select_related(None).prefetch_related(None).values_list("user_id", flat=True)
    before = ids.filter(user_id__lt=submission.user_id)
    previous = before.order_by("-user_id").first()
    following = ids.filter(user_id__gt=submission.user_id).order_by("user_id").first()
    return submission, before.count() + 1, queue.count(), previous, following


def visible_grade(submission: Submission, user: Any, *, staff: bool | None = None) -> Grade | None:
    """Staff: the current grade (draft or released). The learner: the newest released one.
    Uses the prefetched grades (newest first); lists pass `staff`, decided once."""
    grades = list(submission.grades.all())
    if staff is None:
        staff = can_grade(user, submission.assignment.course)
    if staff:
        return next((g for g in grades if g.is_current), None)
    return next((g for g in grades if g.status == Grade.Status.RELEASED), None)


def grade_history(submission: Submission, user: Any) -> list[Grade]:
    grades = list(submission.grades.all())
    if can_grade(user, submission.assignment.course):
        return grades
    return [g for g in grades if g.status == Grade.Status.RELEASED]


# --- gradebook -------------------------------------------------------------------------------


def category_list(*, course: Course) -> QuerySet[GradeCategory]:
    return GradeCategory.objects.filter(course_id=course.pk).order_by("position", "id")


def category_get(*, course: Course, category_id: Any) -> GradeCategory | None:
    """The course's category with this id, or None."""
    return category_list(course=course).filter(pk=category_id).first()


def grade_item_get(*, course: Course, item_id: Any) -> GradeItem | None:
    """The course's gradebook item with this id, or None."""
    return GradeItem.objects.filter(pk=item_id, course_id=course.pk).first()


def gradebook_items(*, course: Course) -> QuerySet[GradeItem]:
    return GradeItem.objects.filter(course_id=course.pk).select_related("category")


def gradebook_learners(
    *, course: Course, search: str = "", drafts_in: list[GradeItem] | None = None
) -> QuerySet[Enrollment]:
    """Seated learners; `search` in email or last name; `drafts_in`: only those with a
    draft grade waiting in one of these items."""
    qs = roster_list(course=course).filter(status__in=Enrollment.SEATED)
    if search:
        qs = qs.filter(Q(user__email__icontains=search) | Q(user__last_name__icontains=search))
    if drafts_in is not None:
        waiting = Score.objects.filter(item__in=drafts_in, draft_points__isnull=False)
        qs = qs.filter(user_id__in=waiting.values("user_id"))
    return qs


def seated_learner(*, course: Course, user_id: Any) -> User | None:
    """The user with this id if they hold a seat in the course (one row), else None."""
    enrollment = gradebook_learners(course=course).filter(user_id=user_id).first()
    return None if enrollment is None else enrollment.user


def _cell(score: Score | None, staff: bool) -> dict[str, Any] | None:
    if score is None:
        return None
    effective = score.override_points if score.override_points is not None else score.points
    cell: dict[str, Any] = {
        "points": None if score.points is None else str(score.points),
        "effective": None if effective is None else str(effective),
        "excused": score.excused,
        "override": None if score.override_points is None else str(score.override_points),
        "override_reason": score.override_reason,
        "penalty_percent": str(score.penalty_percent),
        "final": score.final,
        "score_id": score.pk,
    }
    if staff:
        cell["draft"] = None if score.draft_points is None else str(score.draft_points)
    return cell


def gradebook_rows(
    *, course: Course, enrollments: list[Enrollment], items: list[GradeItem], staff: bool
) -> list[dict[str, Any]]:
    """Rows for a page of learners: two queries (scores, stored grades) for any size."""
    user_ids = [e.user_id for e in enrollments]
    cells: dict[int, dict[int, Score]] = defaultdict(dict)
    for score in Score.objects.filter(item__in=[i.pk for i in items], user_id__in=user_ids):
        cells[score.user_id][score.item_id] = score
    grades = {
        g.user_id: g for g in CourseGrade.objects.filter(course_id=course.pk, user_id__in=user_ids)
    }
    rows = []
    for enrollment in enrollments:
        user = enrollment.user
        grade = grades.get(user.pk)
        rows.append(
            {
                "user": {"id": user.pk, "email": user.email, "name": user.get_full_name()},
                "percent": None if grade is None or grade.percent is None else str(grade.percent),
                "letter": grade.letter if grade else "",
                "scores": {item.pk: _cell(cells[user.pk].get(item.pk), staff) for item in items},
            }
        )
    return rows


def provisional_user_ids(*, course: Course, user_ids: list[int]) -> set[int]:
    """Learners whose course grade counts a provisional score (a quiz answer waiting for
    manual grading: `final` False, points counted, neither excused nor overridden)."""
    return set(
        Score.objects.filter(
            item__course_id=course.pk,
            user_id__in=user_ids,
            final=False,
            points__isnull=False,
            excused=False,
            override_points__isnull=True,
        ).values_list("user_id", flat=True)
    )


def my_gradebook(*, course: Course, user: Any) -> dict[str, Any]:
    items = list(gradebook_items(course=course))
    scores = {s.item_id: s for s in Score.objects.filter(item__course_id=course.pk, user=user)}
    grade = CourseGrade.objects.filter(course_id=course.pk, user_id=user.pk).first()
    return {
        "percent": None if grade is None or grade.percent is None else str(grade.percent),
        "letter": grade.letter if grade else "",
        "computed_at": grade.computed_at if grade else None,
        "items": [
            {
                "id": item.pk,
                "title": item.title,
                "source": item.source,
                "category": item.category.name if item.category else None,
                "points_possible": str(item.points_possible),
                "due_at": item.due_at,
                "score": _cell(scores.get(item.pk), staff=False),
            }
            for item in items
        ],
    }


def assignment_score(*, assignment: Assignment, user_id: int) -> Score | None:
    """The learner's gradebook cell of this assignment."""
    return Score.objects.filter(
        item__source=GradeItem.Source.ASSIGNMENT, item__source_id=assignment.pk, user_id=user_id
    ).first()


def stored_grade(*, course: Course, user_id: int) -> CourseGrade | None:
    return CourseGrade.objects.filter(course_id=course.pk, user_id=user_id).first()


def lesson_assignments(lesson_ids: list[int]) -> dict[int, LessonActivity]:
    """{lesson_id: its assignment} for these lessons, in one query (registered with
    courses, whose lessons of kind `assignment` show it as `activity_id` and their
    completion rule: `complete_on` submit or pass, with `pass_percent`)."""
    rows = activity_per_lesson(
        Assignment.objects.filter(lesson_id__in=lesson_ids),
        published_field="is_published",
        fields=("complete_on", "pass_percent"),
    )
    return {
        lesson_id: LessonActivity(
            id=assignment_id,
            completes_on=complete_on,
            pass_percent=pass_percent if complete_on == Assignment.CompleteOn.PASS else None,
        )
        for lesson_id, (assignment_id, complete_on, pass_percent) in rows.items()
    }


def score_get(*, score_id: Any) -> Score | None:
    """A gradebook cell with its item, course and learner (the caller checks access)."""
    return Score.objects.select_related("item__course", "user").filter(pk=score_id).first()


def score_audit_entries(*, score: Score) -> QuerySet[AuditLog]:
    """The audit log of one gradebook cell, newest first."""
    return AuditLog.objects.filter(
        target_type=Score._meta.label_lower, target_id=str(score.pk)
    ).order_by("-at", "-id")
