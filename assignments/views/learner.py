"""Learner pages: a course's assignments, one assignment (hand in with upload progress,
my submissions and their released grades) and my grades with their explanation."""

from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render

from assignments import selectors, services
from assignments.models import Assignment
from assignments.permissions import can_view_own_grades
from assignments.services.calculation import explain
from assignments.services.deadlines import deadline_for, shift_days_for
from courses.selectors import course_get_visible
from lms.errors import ServiceError

if TYPE_CHECKING:
    from courses.models import Course


def _learner_course(request: HttpRequest, slug: str) -> "Course":
    course = course_get_visible(slug=slug, user=request.user)
    if not can_view_own_grades(request.user, course):
        raise Http404
    return course


@login_required
def learner_assignments(request: HttpRequest, slug: str) -> HttpResponse:
    course = _learner_course(request, slug)
    assignments = selectors.assignment_list(course=course, user=request.user).filter(
        is_published=True
    )
    return render(
        request,
        "assignments/learner_list.html",
        {"course": course, "assignments": assignments},
    )


def _open_reason(assignment: Assignment, user: Any) -> str:
    try:
        services.submission_check_open(assignment=assignment, user=user)
    except ServiceError as refusal:
        return refusal.message
    return ""


@login_required
def learner_assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = selectors.assignment_get_visible(assignment_id=assignment_id, user=request.user)
    if not can_view_own_grades(request.user, assignment.course):
        raise Http404  # staff use the speed grader
    submissions = list(
        selectors.submission_list(assignment=assignment, user=request.user)
    )  # own, newest first
    for submission in submissions:
        submission.visible_grade = selectors.visible_grade(  # type: ignore[attr-defined]
            submission, request.user, staff=False
        )
    deadline = deadline_for(
        assignment=assignment,
        shift_days=shift_days_for(assignment=assignment, user=request.user),
    )
    closed = _open_reason(assignment, request.user)
    left = assignment.max_resubmissions + 1 - len(submissions)
    return render(
        request,
        "assignments/learner_assignment.html",
        {
            "assignment": assignment,
            "course": assignment.course,
            "submissions": submissions,
            "deadline": deadline,
            "closed": closed or ("No submissions left." if left <= 0 else ""),
            "left": max(left, 0),
            "api_url": f"/api/v1/assignments/{assignment.pk}/submissions/",
            "csrf_token": get_token(request),
            "accept": ",".join(f".{ext}" for ext in assignment.allowed_extensions),
        },
    )


# The explanation's item statuses (assignments.services.calculation), in words.
ITEM_STATUS_LABELS = {
    "graded": "Graded",
    "override": "Set by your instructor",
    "excused": "Excused: does not count",
    "not_graded": "Not graded yet",
    "dropped": "Dropped: among the lowest, does not count",
}


@login_required
def learner_grades(request: HttpRequest, slug: str) -> HttpResponse:
    """My released grades and, step by step, how the course grade is made."""
    course = _learner_course(request, slug)
    mine = selectors.my_gradebook(course=course, user=request.user)
    result = services.course_grade_result(course_id=course.pk, user_id=request.user.pk or 0)
    steps = explain(result)
    provisional = False
    for category in steps["categories"]:
        for line in category["items"]:
            line["status_label"] = ITEM_STATUS_LABELS.get(line["status"], "Not graded yet")
            # Only a counted score moves the course grade when it is graded.
            provisional = provisional or (line["provisional"] and line["status"] == "graded")
    return render(
        request,
        "assignments/learner_grades.html",
        {"course": course, "mine": mine, "explain": steps, "provisional": provisional},
    )
