"""A course's Content page (modules and lessons), adding and editing lessons, and
reordering: one arrow or one drag at a time in the browser, saved as one new order."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from courses import selectors, services
from courses.forms import (
    LessonAddForm,
    LessonForm,
    LessonMoveForm,
    ModuleForm,
    OutlineOrderForm,
    PositionForm,
    add_service_errors,
)
from courses.models import Course, Lesson, Module
from courses.permissions import can_edit_course, can_teach
from courses.views.common import (
    content_url,
    course_action,
    course_for,
    instructor_page,
    user_of,
    valid_data,
)
from courses.views.course_settings import publish_problems

KIND_LABELS = dict(Lesson.Kind.choices)
ACTIVITY_KINDS = (Lesson.Kind.QUIZ, Lesson.Kind.ASSIGNMENT)


def outline_rows(outline: dict[str, Any]) -> list[dict[str, Any]]:
    """The cached outline, dressed for the page: numbers, kind words, and where each
    move button goes (a lesson at the top of a module moves up to the end of the one
    before; at the bottom, down to the start of the next)."""
    modules = outline["modules"]
    rows = []
    for index, module in enumerate(modules):
        before = modules[index - 1] if index else None
        after = modules[index + 1] if index + 1 < len(modules) else None
        count = len(module["lessons"])
        lessons = []
        for place, lesson in enumerate(module["lessons"]):
            up = (None, place - 1) if place else before and (before["id"], len(before["lessons"]))
            down = (None, place + 1) if place + 1 < count else after and (after["id"], 0)
            lessons.append(
                {**lesson, "kind_label": KIND_LABELS[lesson["kind"]], "up": up, "down": down}
            )
        rows.append({**module, "number": index + 1, "count": count, "lessons": lessons})
    return rows


@require_safe
@instructor_page
def course_content(request: HttpRequest, slug: str) -> HttpResponse:
    """The modules and lessons (read-only for TAs)."""
    course = course_for(request, slug, can_teach)
    outline = selectors.course_outline(course=course)
    return render(
        request,
        "courses/course_content.html",
        {
            "course": course,
            "outline": outline,
            "modules": outline_rows(outline),
            "can_edit": can_edit_course(request.user, course),
            "publish_problem_count": len(publish_problems(course)),
            "kinds": Lesson.Kind.choices,
        },
    )


@course_action(can_edit_course)
def outline_reorder(request: HttpRequest, course: Course) -> str:
    order = valid_data(OutlineOrderForm(request.POST))["order"]
    moved = services.course_outline_reorder(course=course, modules=order, by=user_of(request))
    messages.success(request, "New order saved." if moved else "The order did not change.")
    return content_url(course)


# --- modules ---------------------------------------------------------------------------


@course_action(can_edit_course)
def module_add(request: HttpRequest, course: Course) -> str:
    data = valid_data(ModuleForm(request.POST))
    module = services.module_create(course=course, title=data["title"])
    messages.success(request, f"Module “{module.title}” added.")
    return content_url(course, f"module-{module.pk}")


@course_action(can_edit_course)
def module_rename(request: HttpRequest, course: Course, module_id: int) -> str:
    module = selectors.module_get(course=course, module_id=module_id)
    services.module_update(module=module, title=valid_data(ModuleForm(request.POST))["title"])
    messages.success(request, "Module renamed.")
    return content_url(course, f"module-{module.pk}")


@course_action(can_edit_course)
def module_delete(request: HttpRequest, course: Course, module_id: int) -> None:
    module = selectors.module_get(course=course, module_id=module_id)
    services.module_delete(module=module)
    messages.success(request, f"Module “{module.title}” deleted with its lessons.")


@course_action(can_edit_course)
def module_move(request: HttpRequest, course: Course, module_id: int) -> str:
    module = selectors.module_get(course=course, module_id=module_id)
    position = valid_data(PositionForm(request.POST))["position"]
    services.module_move(module=module, position=position)
    return content_url(course, f"module-{module.pk}")


# --- lessons ---------------------------------------------------------------------------


def _lesson_url(course: Course, lesson: Lesson) -> str:
    return reverse("courses:lesson_edit", kwargs={"slug": course.slug, "lesson_id": lesson.pk})


@instructor_page
def lesson_add(request: HttpRequest, slug: str, module_id: int) -> HttpResponse:
    """GET: the form for a new lesson in the module (title and kind may come in the
    query). POST: create it; invalid input comes back with its errors and what was typed."""
    course = course_for(request, slug, can_edit_course)
    module = selectors.module_get(course=course, module_id=module_id)
    if request.method != "POST":
        kind = request.GET.get("kind")
        initial = {
            "title": request.GET.get("title", "")[:200],
            "kind": kind if kind in Lesson.Kind.values else Lesson.Kind.TEXT,
        }
        return _lesson_add_page(request, course, module, LessonAddForm(initial=initial))
    form = LessonAddForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            lesson = services.lesson_create(
                module=module, **form.service_fields(changed_only=False)
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if lesson.kind in ACTIVITY_KINDS:  # its quiz or assignment is built elsewhere
                activity = lesson.get_kind_display().lower()
                messages.success(
                    request, f"Lesson “{lesson.title}” added. Now create its {activity}."
                )
                return redirect(f"{_lesson_url(course, lesson)}#activity")
            messages.success(request, f"Lesson “{lesson.title}” added.")
            return redirect(content_url(course, f"lesson-{lesson.pk}"))
    return _lesson_add_page(request, course, module, form, status=400)


def _lesson_add_page(
    request: HttpRequest, course: Course, module: Module, form: LessonAddForm, status: int = 200
) -> HttpResponse:
    context = {"course": course, "module": module, "form": form}
    return render(request, "courses/lesson_add.html", context, status=status)


@course_action(can_edit_course)
def lesson_delete(request: HttpRequest, course: Course, lesson_id: int) -> None:
    lesson = selectors.lesson_get(course=course, lesson_id=lesson_id)
    services.lesson_delete(lesson=lesson)
    messages.success(request, f"Lesson “{lesson.title}” deleted.")


@course_action(can_edit_course)
def lesson_move(request: HttpRequest, course: Course, lesson_id: int) -> str:
    """One step without JavaScript; `module` moves it into another module of the course."""
    lesson = selectors.lesson_get(course=course, lesson_id=lesson_id)
    data = valid_data(LessonMoveForm(request.POST))
    target = None
    if data.get("module"):
        target = selectors.module_get(course=course, module_id=data["module"])
    services.lesson_move(lesson=lesson, position=data["position"], module=target)
    return content_url(course, f"lesson-{lesson.pk}")


@instructor_page
def lesson_edit(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    """GET: the lesson (read-only for TAs, body as sanitised HTML). POST: save it."""
    allowed = can_edit_course if request.method == "POST" else can_teach
    course = course_for(request, slug, allowed)
    (lesson,) = selectors.with_activity_ids(
        [selectors.lesson_get(course=course, lesson_id=lesson_id)]
    )
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
                return redirect(content_url(course, f"lesson-{lesson.pk}"))
        status = 400
        lesson.refresh_from_db()  # the page shows what is stored, the form what was typed
    context = {"course": course, "lesson": lesson, "form": form if editable else None}
    return render(request, "courses/lesson_edit.html", context, status=status)
