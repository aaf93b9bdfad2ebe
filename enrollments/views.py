"""The instructor's roster pages under /instructor/courses/<slug>/learners/: the learners
with their stored progress (filters, search, pages, CSV export) and one learner's
lesson-by-lesson view with their accommodations.

Thin views: reads through `enrollments.selectors`, decisions through
`enrollments.permissions` (`can_view_roster` for the whole team, TAs included;
`can_manage_enrollments` for accommodations), writes through `enrollments.services`.
A course the user may not see is a 404; a visible one they may not act on is a 403.
"""

import csv
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from courses.selectors import course_get_visible
from enrollments import selectors
from enrollments.forms import AccommodationsForm, RosterFilterForm
from enrollments.permissions import can_manage_enrollments, can_view_roster
from enrollments.services import ACCOMMODATION_FIELDS, enrollment_accommodations_set

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course

ROSTER_PAGE_SIZE = 50
CSV_HEADER = [
    "email",
    "name",
    "status",
    "percent",
    "completed/total",
    "enrolled_at",
    "last_activity_at",
]


def _course(request: HttpRequest, slug: str, allowed: Callable[[Any, "Course"], bool]) -> "Course":
    course = course_get_visible(slug=slug, user=request.user)  # 404 for drafts
    if not allowed(request.user, course):
        raise PermissionDenied
    return course


def _filtered(request: HttpRequest, course: "Course") -> tuple[RosterFilterForm, Any]:
    form = RosterFilterForm(request.GET)
    show, search = form.values()
    return form, selectors.roster_filtered(course=course, filter=show, search=search)


@login_required
def roster(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(request, slug, can_view_roster)
    form, enrollments = _filtered(request, course)
    page = Paginator(enrollments, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    # The filters, kept in the pagination and export links.
    params = {key: request.GET[key] for key in ("show", "q") if request.GET.get(key)}
    query = urlencode(params)
    return render(
        request,
        "enrollments/roster.html",
        {
            "course": course,
            "form": form,
            "page": page,
            "query": query,
            "csv_url": reverse("enrollments:roster_csv", kwargs={"slug": course.slug})
            + (f"?{query}" if query else ""),
            "filtered": bool(params),
        },
    )


def _csv_cell(value: Any) -> str:
    """Text a spreadsheet would run as a formula gets a leading quote (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def roster_csv(request: HttpRequest, slug: str) -> HttpResponse:
    course = _course(request, slug, can_view_roster)
    _, enrollments = _filtered(request, course)
    stamp = timezone.now().strftime("%Y%m%d")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-learners-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for enrollment in enrollments.iterator(chunk_size=2000):
        user = enrollment.user
        writer.writerow(
            [
                _csv_cell(user.email),
                _csv_cell(user.get_full_name()),
                enrollment.status,
                enrollment.percent,
                f"{enrollment.completed_count}/{enrollment.required_total}",
                enrollment.enrolled_at.isoformat(),
                enrollment.last_activity_at.isoformat() if enrollment.last_activity_at else "",
            ]
        )
    return response


@login_required
def learner(request: HttpRequest, slug: str, enrollment_id: int) -> HttpResponse:
    """GET: the learner's lessons and accommodations. POST: save the accommodations
    (owners, instructors, admins; TAs read only)."""
    course = _course(request, slug, can_view_roster)
    enrollment = selectors.roster_enrollment_get(course=course, enrollment_id=enrollment_id)
    can_manage = can_manage_enrollments(request.user, course)
    initial = {name: getattr(enrollment, name) for name in ACCOMMODATION_FIELDS}
    form = None
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = AccommodationsForm(request.POST, initial=initial)
        if form.is_valid():
            fields = form.changed_fields()
            try:
                if fields:
                    enrollment_accommodations_set(
                        enrollment=enrollment, by=cast("User", request.user), **fields
                    )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Accommodations saved." if fields else "Nothing changed.")
                return redirect(
                    "enrollments:learner", slug=course.slug, enrollment_id=enrollment.pk
                )
        status = 400
    elif can_manage:
        form = AccommodationsForm(initial=initial)
    return render(
        request,
        "enrollments/learner.html",
        {
            "course": course,
            "enrollment": enrollment,
            "learner": enrollment.user,
            "lessons": selectors.enrollment_lesson_rows(enrollment=enrollment),
            "form": form,
        },
        status=status,
    )
