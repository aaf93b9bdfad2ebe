"""Instructor pages: assignments of a course, the editor with its rubric builder, the
speed grader (one learner at a time), the gradebook grid and a grade's audit history.

A course or assignment the user may not see is a 404; a visible one they may not act on
is a 403 (TAs grade but do not author).
"""

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from assignments import selectors, services
from assignments.forms import AssignmentForm, add_service_errors
from assignments.models import Assignment
from assignments.permissions import can_grade, can_manage_assignments, can_view_gradebook
from courses.selectors import course_get_visible
from lms.errors import ServiceError

if TYPE_CHECKING:
    from courses.models import Course

GRID_PAGE_SIZE = 50


def _team_course(request: HttpRequest, slug: str) -> "Course":
    course = course_get_visible(slug=slug, user=request.user)
    if not can_grade(request.user, course):
        raise Http404
    return course


@login_required
def staff_assignments(request: HttpRequest, slug: str) -> HttpResponse:
    course = _team_course(request, slug)
    return render(
        request,
        "assignments/staff_list.html",
        {
            "course": course,
            "assignments": selectors.assignment_list(course=course, user=request.user),
            "can_manage": can_manage_assignments(request.user, course),
        },
    )


@login_required
def assignment_edit(
    request: HttpRequest, slug: str | None = None, assignment_id: int | None = None
) -> HttpResponse:
    """New (`slug`) or existing (`assignment_id`) assignment; owners, instructors, admins."""
    assignment: Assignment | None = None
    if assignment_id is not None:
        assignment = selectors.assignment_get_visible(
            assignment_id=assignment_id, user=request.user
        )
        course = assignment.course
        if not can_grade(request.user, course):
            raise Http404
    else:
        course = _team_course(request, slug or "")
    if not can_manage_assignments(request.user, course):
        raise PermissionDenied
    initial = AssignmentForm.initial_for(assignment) if assignment else None
    form = AssignmentForm(request.POST or None, course=course, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if assignment is None:
                    assignment = services.assignment_create(
                        course=course, by=request.user, **form.service_fields()
                    )
                else:
                    assignment = services.assignment_update(
                        assignment=assignment, by=request.user, **form.service_fields()
                    )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Assignment saved.")
                return redirect("assignments:edit", assignment_id=assignment.pk)
        status = 400
    return render(
        request,
        "assignments/edit.html",
        {"course": course, "assignment": assignment, "form": form},
        status=status,
    )


def _selections(request: HttpRequest, assignment: Assignment) -> dict[str, str]:
    return {
        c["id"]: request.POST[f"criterion-{c['id']}"]
        for c in assignment.rubric
        if request.POST.get(f"criterion-{c['id']}")
    }


@login_required
def speed_grader(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """One learner's newest submission at a time: files, text, rubric, feedback, release;
    next/previous (keys j/k), save (Ctrl+Enter). Only the shown submission and its
    neighbours' ids are read, whatever the size of the class."""
    assignment = selectors.assignment_get_visible(assignment_id=assignment_id, user=request.user)
    if not can_grade(request.user, assignment.course):
        raise Http404
    learner = request.GET.get("learner") or request.POST.get("learner") or None
    submission, position, total, previous_id, next_id = selectors.grading_queue_position(
        assignment=assignment, user=request.user, learner_id=learner
    )
    base = reverse("assignments:speed_grader", kwargs={"assignment_id": assignment.pk})
    if submission is None:
        return render(
            request, "assignments/speed_grader.html", {"assignment": assignment, "submission": None}
        )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            services.grade_submission(
                submission=submission,
                by=request.user,
                points=request.POST.get("points") or None,
                rubric_selections=_selections(request, assignment) or None,
                feedback=request.POST.get("feedback", ""),
                feedback_file=request.FILES.get("feedback_file"),
                release=request.POST.get("release") == "on",
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as error:
            errors = [str(m) for m in error.messages]
            status = 400
        except ServiceError as error:
            errors = [error.message]
            status = error.status
        else:
            messages.success(request, f"Grade saved for {submission.user.email}.")
            target = submission.user_id
            if request.POST.get("then") == "next" and next_id is not None:
                target = next_id
            return redirect(f"{base}?learner={target}")
    grade = selectors.visible_grade(submission, request.user)
    chosen = grade.rubric_selections if grade else {}
    score = selectors.assignment_score(assignment=assignment, user_id=submission.user_id)
    return render(
        request,
        "assignments/speed_grader.html",
        {
            "assignment": assignment,
            "submission": submission,
            "grade": grade,
            "rubric": [
                {
                    **c,
                    "levels": [
                        {**lv, "checked": chosen.get(c["id"]) == lv["id"]} for lv in c["levels"]
                    ],
                }
                for c in assignment.rubric
            ],
            "position": position,
            "total": total,
            "previous_url": f"{base}?learner={previous_id}" if previous_id is not None else "",
            "next_url": f"{base}?learner={next_id}" if next_id is not None else "",
            "errors": errors,
            "score": score,
        },
        status=status,
    )


def _provisional(cell: dict[str, Any] | None) -> bool:
    """A quiz score that may still change; an excuse or an override is staff's last word."""
    if cell is None:
        return False
    return not cell["final"] and not cell["excused"] and cell["override"] is None


@login_required
def gradebook_grid(request: HttpRequest, slug: str) -> HttpResponse:
    course = _team_course(request, slug)
    search = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "")
    show = request.GET.get("show", "")
    all_items = list(selectors.gradebook_items(course=course))
    categories = sorted({i.category for i in all_items if i.category}, key=lambda c: c.position)
    items = [i for i in all_items if not category or str(i.category_id) == category]
    learners = selectors.gradebook_learners(
        course=course, search=search, drafts_in=items if show == "drafts" else None
    ).order_by("id")
    page = Paginator(learners, GRID_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.gradebook_rows(
        course=course, enrollments=list(page.object_list), items=items, staff=True
    )
    # A course grade that counts a provisional score may still change: marked as such.
    provisional = selectors.provisional_user_ids(
        course=course, user_ids=[row["user"]["id"] for row in rows]
    )
    for row in rows:
        row["cells"] = [row["scores"][item.pk] for item in items]
        row["provisional"] = row["user"]["id"] in provisional
        for cell in row["cells"]:
            if cell is not None:
                cell["provisional"] = _provisional(cell)
    return render(
        request,
        "assignments/gradebook.html",
        {
            "course": course,
            "items": items,
            "rows": rows,
            "page": page,
            "search": search,
            "categories": categories,
            "category": category,
            "show": show,
            "query": urlencode(
                {k: v for k, v in {"q": search, "category": category, "show": show}.items() if v}
            ),
            "csv_url": f"/api/v1/courses/{course.slug}/gradebook/export/",
            "any_provisional": bool(provisional)
            or any(cell and cell["provisional"] for row in rows for cell in row["cells"]),
        },
    )


# The audit log's actions and fields on a gradebook cell, in words.
HISTORY_ACTIONS = {
    "assignments.grade_released": "Grade released",
    "assignments.grade_drafted": "Draft grade saved",
    "assignments.score_adjusted": "Adjusted in the gradebook",
    "assignments.quiz_score_synced": "Quiz score updated",
    "assignments.score_imported": "Imported from a file",
}
HISTORY_FIELDS = {
    "points": "Points",
    "draft_points": "Draft points",
    "final": "Final",
    "penalty_percent": "Late penalty (%)",
    "excused": "Excused",
    "override_points": "Override points",
    "override_reason": "Override reason",
    "reason": "Reason",
}


def _shown(value: Any) -> Any:
    """Yes/no for booleans; the rest as stored (None shows as a dash)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


@login_required
def score_history(request: HttpRequest, score_id: int) -> HttpResponse:
    """Who changed this cell, from what to what, and why (the audit log)."""
    score = selectors.score_get(score_id=score_id)
    if score is None or not can_view_gradebook(request.user, score.item.course):
        raise Http404
    entries = selectors.score_audit_entries(score=score)
    rows: list[dict[str, Any]] = [
        {
            "entry": entry,
            "what": HISTORY_ACTIONS.get(entry.action, "Changed"),
            "changes": [
                (
                    HISTORY_FIELDS.get(field, field.replace("_", " ").capitalize()),
                    *map(_shown, values),
                )
                for field, values in entry.changes.items()
                if isinstance(values, list) and len(values) == 2
            ],
        }
        for entry in entries
    ]
    return render(
        request,
        "assignments/history.html",
        {"score": score, "course": score.item.course, "rows": rows},
    )
