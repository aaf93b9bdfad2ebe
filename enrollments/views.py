"""The instructor's roster pages under /instructor/courses/<slug>/learners/: the learners
with their stored progress (filters, search, pages, CSV export), the forms to add a learner
by email or many from a CSV file, and one learner's lesson-by-lesson view with their
accommodations.

Thin views: reads through `enrollments.selectors`, decisions through
`enrollments.permissions` (`can_view_roster` for the whole team, TAs included;
`can_manage_enrollments` for adding learners and accommodations), writes through
`enrollments.services`.
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
from enrollments.forms import (
    AccommodationsForm,
    AddLearnerForm,
    BulkAddForm,
    RosterFilterForm,
    add_service_errors,
)
from enrollments.permissions import can_manage_enrollments, can_view_roster
from enrollments.services import (
    ACCOMMODATION_FIELDS,
    BulkReport,
    enrollment_accommodations_set,
    enrollment_add_by_email,
    enrollment_bulk_add,
)
from enrollments.services.enrollment import BULK_MAX_BYTES
from lms.errors import ServiceError

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


# A bulk report's results, in words.
BULK_RESULT_LABELS = {
    "created": "Added",
    "already_enrolled": "Already enrolled",
    "unknown_email": "No account has this email",
    "invalid": "Not valid",
}


def _add_learner(request: HttpRequest, course: "Course", form: AddLearnerForm) -> bool:
    """One learner by email; False with the reason on the form."""
    if not form.is_valid():
        return False
    email = form.cleaned_data["email"]
    try:
        enrollment_add_by_email(course=course, email=email, by=cast("User", request.user))
    except ValidationError as error:  # unknown_email on `email`
        add_service_errors(form, error)
        return False
    except ServiceError as error:  # already_enrolled, course_archived, ...
        form.add_error("email", error.message)
        return False
    messages.success(request, f"{email} was added to the course.")
    return True


def _bulk_add(request: HttpRequest, course: "Course", form: BulkAddForm) -> BulkReport | None:
    """Many learners from a CSV file: the report, or None with the reason on the form."""
    if not form.is_valid():
        return None
    # At most one byte past the limit is read: the service refuses a larger file.
    content = form.cleaned_data["file"].read(BULK_MAX_BYTES + 1)
    try:
        return enrollment_bulk_add(course=course, content=content, by=cast("User", request.user))
    except ValidationError as error:  # file_too_large, invalid_encoding, invalid_csv, ...
        add_service_errors(form, error)
    except ServiceError as error:  # course_archived, course_not_published
        form.add_error(None, error.message)
    return None


@login_required
def roster(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the roster. POST (owners, instructors, admins; TAs 403): add a learner by
    email (post/redirect/get) or many from a CSV file (the report is shown at once: it is
    too big to carry through a redirect)."""
    course = _course(request, slug, can_view_roster)
    can_manage = can_manage_enrollments(request.user, course)
    add_form = AddLearnerForm(prefix="add")
    bulk_form = BulkAddForm(prefix="bulk")
    report: BulkReport | None = None
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if "add_learner" in request.POST:
            add_form = AddLearnerForm(request.POST, prefix="add")
            if _add_learner(request, course, add_form):
                return redirect(request.get_full_path())
            status = 400
        elif "bulk_add" in request.POST:
            bulk_form = BulkAddForm(request.POST, request.FILES, prefix="bulk")
            report = _bulk_add(request, course, bulk_form)
            status = 200 if report is not None else 400
        else:
            messages.error(request, "Choose a form to send.")
            status = 400
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
            "can_manage": can_manage,
            "add_form": add_form,
            "bulk_form": bulk_form,
            "report": _report_context(report),
        },
        status=status,
    )


def _report_context(report: BulkReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    rows = [
        {**row.as_dict(), "label": BULK_RESULT_LABELS.get(row.result, row.result)}
        for row in report.rows
    ]
    return {
        "counts": report.counts,
        "added": [r for r in rows if r["result"] == "created"],
        "others": [r for r in rows if r["result"] != "created"],
    }


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
