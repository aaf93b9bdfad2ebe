"""A course's Settings page: details (price, dates, completion), publishing, the team."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from courses import selectors, services
from courses.forms import CourseDetailsForm, StaffAddForm, add_service_errors
from courses.models import Course
from courses.permissions import (
    can_edit_course,
    can_manage_staff,
    can_publish_course,
    can_teach,
    can_view_staff,
)
from courses.views.common import (
    course_action,
    course_for,
    instructor_page,
    settings_url,
    user_of,
    valid_data,
)


def publish_problems(course: Course) -> list[str]:
    """What stops the course from being published, as sentences (none once published)."""
    if course.status == Course.Status.PUBLISHED:
        return []
    return [
        str(message)
        for errors in services.course_publish_problems(course).values()
        for error in errors
        for message in error
    ]


def _context(request: HttpRequest, course: Course, form: Any = None) -> dict[str, Any]:
    user = request.user
    editable = can_edit_course(user, course)
    return {
        "course": course,
        "can_edit": editable,
        "can_publish": can_publish_course(user, course),
        "can_manage_staff": can_manage_staff(user, course),
        "staff": list(selectors.course_staff_list(course=course))
        if can_view_staff(user, course)
        else [],
        "publish_problems": publish_problems(course),
        "details_form": form or (CourseDetailsForm(instance=course) if editable else None),
        "staff_form": StaffAddForm(),
    }


@instructor_page
def course_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the settings (read-only for TAs). POST: save the details."""
    if request.method != "POST":
        course = course_for(request, slug, can_teach)
        return render(request, "courses/course_settings.html", _context(request, course))
    course = course_for(request, slug, can_edit_course)
    form = CourseDetailsForm(request.POST, instance=course)
    if form.is_valid():
        fields = form.service_fields(changed_only=True)
        try:
            if fields:
                services.course_update(course=course, by=user_of(request), **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Settings saved." if fields else "Nothing changed.")
            return redirect(settings_url(course))
    context = _context(request, course, form)
    return render(request, "courses/course_settings.html", context, status=400)


@course_action(can_publish_course, back=settings_url)
def course_publish(request: HttpRequest, course: Course) -> None:
    services.course_publish(course=course, by=user_of(request))
    messages.success(request, "Published: the course is in the catalogue.")


@course_action(can_publish_course, back=settings_url)
def course_archive(request: HttpRequest, course: Course) -> None:
    services.course_archive(course=course, by=user_of(request))
    messages.success(request, "Archived: off the catalogue; enrolled learners keep access.")


@course_action(can_manage_staff, back=settings_url)
def staff_add(request: HttpRequest, course: Course) -> str:
    data = valid_data(StaffAddForm(request.POST))
    member = services.course_staff_add(
        course=course, email=data["email"], role=data["role"], by=user_of(request)
    )
    messages.success(request, f"{member.user.email} joined the team.")
    return settings_url(course, "team")


@course_action(can_manage_staff, back=settings_url)
def staff_remove(request: HttpRequest, course: Course, member_id: int) -> str:
    member = selectors.course_staff_get(course=course, member_id=member_id)
    services.course_staff_remove(member=member, by=user_of(request))
    messages.success(request, f"{member.user.email} left the team.")
    return settings_url(course, "team")
