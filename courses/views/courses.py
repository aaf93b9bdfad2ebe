"""My courses, and creating a course."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from courses import selectors, services
from courses.forms import CourseCreateForm, add_service_errors
from courses.models import CourseStaff
from courses.permissions import can_create_course
from courses.views.common import content_url, instructor_page, user_of

ROLE_LABELS = dict(CourseStaff.Role.choices)


@instructor_page
def course_list(request: HttpRequest) -> HttpResponse:
    courses = list(selectors.course_teaching_list(user=request.user))
    selectors.remember_viewer_roles(courses, request.user)
    for course in courses:  # a word, not the stored value ("ta")
        course.viewer_role_label = ROLE_LABELS.get(getattr(course, "viewer_role", None) or "", "")  # type: ignore[attr-defined]
    return render(
        request,
        "courses/course_list.html",
        {"courses": courses, "may_create": can_create_course(request.user)},
    )


@instructor_page
def course_create(request: HttpRequest) -> HttpResponse:
    if not can_create_course(request.user):
        raise PermissionDenied
    form = CourseCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fields = form.service_fields(changed_only=False)
            course = services.course_create(by=user_of(request), **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Course created as a draft. Add its modules and lessons.")
            return redirect(content_url(course))
    status = 400 if form.is_bound else 200
    return render(request, "courses/course_create.html", {"form": form}, status=status)
