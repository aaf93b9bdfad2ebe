"""The instructor pages under /instructor/: "My courses", creating a course, and the course
editor (details, modules and lessons, publishing, the team).

Thin views: reads through `courses.selectors`, every decision through
`courses.permissions`, every write through `courses.services`. A draft the user may not
see is a 404; a visible course the user may not act on is a 403. Plain POST forms with
CSRF; after a write the page redirects (post/redirect/get), and a refused write shows the
service's reason.
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from courses import selectors, services
from courses.forms import (
    CourseCreateForm,
    CourseDetailsForm,
    LessonAddForm,
    LessonForm,
    ModuleForm,
    PositionForm,
    StaffAddForm,
    add_service_errors,
)
from courses.models import Course
from courses.permissions import (
    can_create_course,
    can_edit_course,
    can_manage_staff,
    can_publish_course,
    can_teach,
    can_view_staff,
)
from lms.errors import ServiceError

if TYPE_CHECKING:
    from accounts.models import User

View = Callable[..., HttpResponse]
CoursePredicate = Callable[[Any, Course], bool]


def _user(request: HttpRequest) -> "User":
    return cast("User", request.user)


def may_use_instructor_pages(user: Any) -> bool:
    """Platform instructors and admins, and anyone on a course team (TAs included)."""
    return can_create_course(user) or selectors.course_teaching_list(user=user).exists()


def instructor_page(view: View) -> View:
    """Session login required (anonymous: to the login page); other users: 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_use_instructor_pages(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _course(request: HttpRequest, slug: str, allowed: CoursePredicate) -> Course:
    course = selectors.course_get_visible(slug=slug, user=request.user)  # 404 for drafts
    if not allowed(request.user, course):
        raise PermissionDenied
    return course


def _editor_url(course: Course, anchor: str = "") -> str:
    url = reverse("courses:editor", kwargs={"slug": course.slug})
    return f"{url}#{anchor}" if anchor else url


def _refused(request: HttpRequest, error: ValidationError | ServiceError) -> None:
    """A refused write, shown on the page it redirects to."""
    if isinstance(error, ServiceError):
        messages.error(request, error.message)
    elif hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            label = "" if field == "__all__" else f"{field.replace('_', ' ').capitalize()}: "
            for text in texts:
                messages.error(request, f"{label}{text}")
    else:
        for text in error.messages:
            messages.error(request, text)


# --- pages ---------------------------------------------------------------------------


@instructor_page
def course_list(request: HttpRequest) -> HttpResponse:
    courses = list(selectors.course_teaching_list(user=request.user))
    selectors.remember_viewer_roles(courses, request.user)
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
            course = services.course_create(by=_user(request), **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Course created as a draft.")
            return redirect(_editor_url(course))
    status = 400 if form.is_bound else 200
    return render(request, "courses/course_create.html", {"form": form}, status=status)


def _editor_context(request: HttpRequest, course: Course, **forms: Any) -> dict[str, Any]:
    user = request.user
    editable = can_edit_course(user, course)
    outline = selectors.course_outline(course=course)
    return {
        "course": course,
        "outline": outline,
        "can_edit": editable,
        "can_publish": can_publish_course(user, course),
        "can_manage_staff": can_manage_staff(user, course),
        "staff": list(selectors.course_staff_list(course=course))
        if can_view_staff(user, course)
        else [],
        "publish_problems": [
            str(message)
            for errors in services.course_publish_problems(course).values()
            for error in errors
            for message in error
        ]
        if course.status != Course.Status.PUBLISHED
        else [],
        "details_form": forms.get("details_form")
        or (CourseDetailsForm(instance=course) if editable else None),
        "module_form": ModuleForm(),
        "lesson_add_form": LessonAddForm(),
        "staff_form": StaffAddForm(),
    }


@instructor_page
def course_editor(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the editor (read-only for TAs). POST: save the details."""
    if request.method != "POST":
        course = _course(request, slug, can_teach)
        return render(request, "courses/course_editor.html", _editor_context(request, course))
    course = _course(request, slug, can_edit_course)
    form = CourseDetailsForm(request.POST, instance=course)
    if form.is_valid():
        fields = form.service_fields(changed_only=True)
        try:
            if fields:
                services.course_update(course=course, by=_user(request), **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Details saved." if fields else "Nothing changed.")
            return redirect(_editor_url(course))
    context = _editor_context(request, course, details_form=form)
    return render(request, "courses/course_editor.html", context, status=400)


def _course_action(
    allowed: CoursePredicate,
) -> Callable[[Callable[..., str | None]], View]:
    """A POST-only editor action: checks `allowed`, runs, redirects back to the editor
    (or where the action says), and shows a refused write as a message."""

    def decorate(action: Callable[..., str | None]) -> View:
        @require_POST
        @instructor_page
        @wraps(action)
        def view(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
            course = _course(request, slug, allowed)
            try:
                target = action(request, course, **kwargs)
            except (ValidationError, ServiceError) as error:
                _refused(request, error)
                target = None
            return HttpResponseRedirect(target or _editor_url(course))

        return view

    return decorate


@_course_action(can_publish_course)
def course_publish(request: HttpRequest, course: Course) -> None:
    services.course_publish(course=course, by=_user(request))
    messages.success(request, "Published: the course is in the catalogue.")


@_course_action(can_publish_course)
def course_archive(request: HttpRequest, course: Course) -> None:
    services.course_archive(course=course, by=_user(request))
    messages.success(request, "Archived: off the catalogue; enrolled learners keep access.")


# --- modules ---------------------------------------------------------------------------


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return cast(dict[str, Any], form.cleaned_data)


@_course_action(can_edit_course)
def module_add(request: HttpRequest, course: Course) -> str:
    data = _valid(ModuleForm(request.POST))
    module = services.module_create(course=course, title=data["title"])
    messages.success(request, f"Module “{module.title}” added.")
    return _editor_url(course, f"module-{module.pk}")


@_course_action(can_edit_course)
def module_rename(request: HttpRequest, course: Course, module_id: int) -> str:
    module = selectors.module_get(course=course, module_id=module_id)
    services.module_update(module=module, title=_valid(ModuleForm(request.POST))["title"])
    messages.success(request, "Module renamed.")
    return _editor_url(course, f"module-{module.pk}")


@_course_action(can_edit_course)
def module_delete(request: HttpRequest, course: Course, module_id: int) -> None:
    module = selectors.module_get(course=course, module_id=module_id)
    services.module_delete(module=module)
    messages.success(request, f"Module “{module.title}” deleted with its lessons.")


@_course_action(can_edit_course)
def module_move(request: HttpRequest, course: Course, module_id: int) -> str:
    module = selectors.module_get(course=course, module_id=module_id)
    services.module_move(module=module, position=_valid(PositionForm(request.POST))["position"])
    return _editor_url(course, f"module-{module.pk}")


# --- lessons ---------------------------------------------------------------------------


@_course_action(can_edit_course)
def lesson_add(request: HttpRequest, course: Course, module_id: int) -> str:
    module = selectors.module_get(course=course, module_id=module_id)
    data = _valid(LessonAddForm(request.POST))
    lesson = services.lesson_create(module=module, title=data["title"], kind=data["kind"])
    messages.success(request, f"Lesson “{lesson.title}” added.")
    return _editor_url(course, f"lesson-{lesson.pk}")


@_course_action(can_edit_course)
def lesson_delete(request: HttpRequest, course: Course, lesson_id: int) -> None:
    lesson = selectors.lesson_get(course=course, lesson_id=lesson_id)
    services.lesson_delete(lesson=lesson)
    messages.success(request, f"Lesson “{lesson.title}” deleted.")


@_course_action(can_edit_course)
def lesson_move(request: HttpRequest, course: Course, lesson_id: int) -> str:
    lesson = selectors.lesson_get(course=course, lesson_id=lesson_id)
    services.lesson_move(lesson=lesson, position=_valid(PositionForm(request.POST))["position"])
    return _editor_url(course, f"lesson-{lesson.pk}")


@instructor_page
def lesson_edit(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    """GET: the lesson (read-only for TAs, body as sanitised HTML). POST: save it."""
    allowed = can_edit_course if request.method == "POST" else can_teach
    course = _course(request, slug, allowed)
    lesson = selectors.lesson_get(course=course, lesson_id=lesson_id)
    editable = can_edit_course(request.user, course)
    form = LessonForm(request.POST or None, request.FILES or None, instance=lesson)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                fields = form.service_fields(changed_only=True)
                if fields:
                    services.lesson_update(lesson=lesson, **fields)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Lesson saved.")
                return redirect(_editor_url(course, f"lesson-{lesson.pk}"))
        status = 400
    context = {"course": course, "lesson": lesson, "form": form if editable else None}
    return render(request, "courses/lesson_edit.html", context, status=status)


# --- the team ----------------------------------------------------------------------------


@_course_action(can_manage_staff)
def staff_add(request: HttpRequest, course: Course) -> str:
    data = _valid(StaffAddForm(request.POST))
    member = services.course_staff_add(
        course=course, email=data["email"], role=data["role"], by=_user(request)
    )
    messages.success(request, f"{member.user.email} joined the team.")
    return _editor_url(course, "team")


@_course_action(can_manage_staff)
def staff_remove(request: HttpRequest, course: Course, member_id: int) -> str:
    member = selectors.course_staff_get(course=course, member_id=member_id)
    services.course_staff_remove(member=member, by=_user(request))
    messages.success(request, f"{member.user.email} left the team.")
    return _editor_url(course, "team")
