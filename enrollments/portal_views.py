"""The learner portal's pages: a course's page, "My learning" and the lesson player, with
the page actions enroll and mark complete (docs/decisions/0016-learner-portal.md).

Thin views over the same rules as the API: a course through
`courses.selectors.course_get_visible` (drafts are 404 to outsiders), a lesson through
`enrollments.permissions.lesson_access_require` (404 to outsiders, 403 with the reason
when it is locked), joining through `enrollments.services.enrollment_create` and its one
join rule, completion through `enrollments.services.lesson_complete`. A refused action is
shown as a message on the page it redirects to, never a 500.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from courses.permissions import can_edit_course, can_teach
from courses.selectors import (
    LessonKind,
    course_detail,
    course_get_visible,
    course_outline,
    course_outline_states,
    outline_with_states,
)
from enrollments import selectors, services
from enrollments.permissions import (
    can_view_roster,
    lesson_access_require,
    seated_enrollment,
    seated_enrollment_require,
)
from lms.errors import ServiceError

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course, Lesson
    from enrollments.models import Enrollment

MY_LEARNING_PAGE_SIZE = 24
# Media a browser plays itself in <video>: tracked by static/js/video-progress.js. Any
# other video URL (a provider's page) is offered as a link.
DIRECT_MEDIA_EXTENSIONS = frozenset(
    {"mp4", "m4v", "webm", "ogv", "ogg", "mov", "mp3", "m4a", "oga", "wav"}
)
# My learning's sections, in this order.
ENROLLMENT_STATUS_WORDS = {
    "active": "In progress",
    "waitlisted": "On the waitlist",
    "completed": "Completed",
}


def _user(request: HttpRequest) -> "User":
    return cast("User", request.user)


def course_page_url(course: "Course") -> str:
    return reverse("enrollments:course_page", kwargs={"slug": course.slug})


def lesson_url(course: "Course", lesson_id: int) -> str:
    return reverse("enrollments:lesson", kwargs={"slug": course.slug, "lesson_id": lesson_id})


# --- the outline as the viewer meets it ---------------------------------------------------


def _viewer_outline(request: HttpRequest, course: "Course") -> dict[str, Any]:
    """The cached outline with the viewer's per-lesson state, each lesson with `open` (the
    viewer may open it in the player), its player `url` and `kind_label`. The states are
    enrollments' bulk form of can_access_lesson (outline_state_for): for the team
    every lesson opens, for anyone else preview lessons, for a learner with a seat every
    lesson not locked."""
    structure = course_outline(course=course)
    states = course_outline_states(course=course, user=request.user, outline=structure)
    outline = outline_with_states(structure, states)
    teaching = can_teach(request.user, course)
    lessons = []
    for module in outline["modules"]:
        for lesson in module["lessons"]:
            state = lesson["state"]
            if teaching:
                lesson["open"] = True
            elif state is not None:
                lesson["open"] = not state["locked"]
            else:
                lesson["open"] = lesson["is_preview"]
            lesson["url"] = lesson_url(course, lesson["id"])
            lesson["kind_label"] = LessonKind(lesson["kind"]).label
            lessons.append(lesson)
    outline["lessons"] = lessons
    outline["has_state"] = bool(states)
    return outline


# --- the course page ----------------------------------------------------------------------


@dataclass(frozen=True)
class ViewerAction:
    """What the course page offers this viewer. kind: teach, continue, review, waitlisted,
    revoked, sign_in, enroll, waitlist, buy, full, closed."""

    kind: str
    text: str = ""
    lesson: dict[str, Any] | None = None


def _join_refusal(course: "Course", *, source: str = "self") -> ServiceError | None:
    """The one join rule for the course's own terms (state, window, price; seats for a
    paid checkout): the refusal, or None when joining is open."""
    try:
        services.enrollment_join_check(course=course, source=source)
    except ServiceError as refusal:
        return refusal
    return None


def _viewer_action(
    request: HttpRequest,
    course: "Course",
    enrollment: "Enrollment | None",
    outline: dict[str, Any],
) -> ViewerAction:
    user = request.user
    if can_teach(user, course):
        return ViewerAction("teach")
    if enrollment is not None and enrollment.is_seated:
        remaining = [
            lesson for lesson in outline["lessons"] if not (lesson["state"] or {}).get("completed")
        ]
        if remaining:
            return ViewerAction("continue", lesson=remaining[0])
        first = outline["lessons"][0] if outline["lessons"] else None
        return ViewerAction("review", lesson=first)
    if enrollment is not None and enrollment.status == "waitlisted":
        return ViewerAction("waitlisted")
    if enrollment is not None and enrollment.status == "revoked":
        return ViewerAction("revoked", "Your enrollment was revoked; ask the course staff.")
    refusal = _join_refusal(course)
    if refusal is not None and refusal.code != "payment_required":
        return ViewerAction("closed", refusal.message)
    if not user.is_authenticated:
        return ViewerAction("sign_in")
    if refusal is not None:  # a paid course: a seat is sold only while one is free
        full = _join_refusal(course, source="paid")
        if full is not None:
            return ViewerAction("full" if full.code == "course_full" else "closed", full.message)
        return ViewerAction("buy")
    if course.capacity is not None and course.enrollment_count >= course.capacity:
        return ViewerAction("waitlist")
    return ViewerAction("enroll")


@require_safe
def course_page(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_get_visible(slug=slug, user=request.user)  # drafts: 404 to outsiders
    enrollment = selectors.enrollment_of(user=request.user, course=course)
    outline = _viewer_outline(request, course)
    action = _viewer_action(request, course, enrollment, outline)
    return render(
        request,
        "enrollments/portal/course.html",
        {
            "course": course_detail(course=course),  # description, instructors, tags, counts
            "enrollment": enrollment,
            "outline": outline,
            "action": action,
            "may_edit": can_edit_course(request.user, course),
            "may_view_roster": can_view_roster(request.user, course),
            "login_url": f"{reverse('accounts:login')}?next={course_page_url(course)}",
        },
    )


@login_required
@require_POST
def enroll(request: HttpRequest, slug: str) -> HttpResponse:
    """Join a free course (or its waitlist when it is full) through the one join rule."""
    course = course_get_visible(slug=slug, user=request.user)
    try:
        enrollment = services.enrollment_create(user=_user(request), course=course)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        if enrollment.status == "waitlisted":
            messages.info(
                request,
                "The course is full: you are on its waitlist. You get the next free seat, "
                "and an email when you do.",
            )
        else:
            messages.success(request, f"You are enrolled in {course.title}.")
    return redirect(course_page_url(course))


# --- My learning --------------------------------------------------------------------------


@login_required
@require_safe
def my_learning(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.enrollment_list_mine(user=request.user), MY_LEARNING_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    next_lessons = selectors.next_lessons_for(rows)
    sections: dict[str, list[dict[str, Any]]] = {status: [] for status in ENROLLMENT_STATUS_WORDS}
    for enrollment in rows:
        sections.setdefault(enrollment.status, []).append(
            {"enrollment": enrollment, "next_lesson": next_lessons.get(enrollment.pk)}
        )
    return render(
        request,
        "enrollments/portal/my_learning.html",
        {
            "page": page,
            "sections": [
                {"status": status, "title": ENROLLMENT_STATUS_WORDS[status], "items": items}
                for status, items in sections.items()
                if items and status in ENROLLMENT_STATUS_WORDS
            ],
        },
    )


# --- the lesson player --------------------------------------------------------------------


def _is_direct_media(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return "." in path.rsplit("/", 1)[-1] and path.rsplit(".", 1)[-1] in DIRECT_MEDIA_EXTENSIONS


def _lesson_in_course(request: HttpRequest, slug: str, lesson_id: int) -> "Lesson":
    """The lesson (module and course loaded, the viewer's role and seat remembered); 404
    when it is not a lesson of the course with this slug."""
    lesson = selectors.lesson_for_viewer(user=request.user, lesson_id=lesson_id)
    if lesson.module.course.slug != slug:
        raise Http404("No such lesson in this course.")
    return lesson


def _neighbours(outline: dict[str, Any], lesson_id: int) -> tuple[Any, Any]:
    """The nearest lessons before and after, in outline order, that the viewer may open."""
    lessons = outline["lessons"]
    index = next(i for i, item in enumerate(lessons) if item["id"] == lesson_id)
    previous = next((item for item in reversed(lessons[:index]) if item["open"]), None)
    following = next((item for item in lessons[index + 1 :] if item["open"]), None)
    return previous, following


@require_safe
def lesson(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    lesson = _lesson_in_course(request, slug, lesson_id)
    course = lesson.module.course
    try:
        decision = lesson_access_require(request.user, lesson, course)  # Http404 outsiders
    except ServiceError as refusal:  # not released, prerequisite: a readable 403
        return render(
            request,
            "enrollments/portal/lesson_locked.html",
            {
                "course": course,
                "lesson": lesson,
                "reason": refusal.code,
                "message": refusal.message,
                "unlock_at": refusal.extra.get("unlock_at"),
                "outline": _viewer_outline(request, course),
            },
            status=403,
        )
    outline = _viewer_outline(request, course)
    item = next(entry for entry in outline["lessons"] if entry["id"] == lesson.pk)
    previous, following = _neighbours(outline, lesson.pk)
    enrollment = seated_enrollment(request.user, course)
    # What completes the lesson and whether the learner's own request may (the rule of
    # POST lessons/{id}/complete/, docs/decisions/0014-completion-rules.md).
    completion = (
        selectors.lesson_completion_check(user=request.user, lesson=lesson, course=course)
        if enrollment is not None
        else None
    )
    video = None
    if lesson.kind == LessonKind.VIDEO and lesson.video_url:
        video = _video_context(request, lesson, enrollment)
    return render(
        request,
        "enrollments/portal/lesson.html",
        {
            "course": course,
            "lesson": lesson,
            "item": item,
            "outline": outline,
            "previous": previous,
            "next": following,
            "access": decision.reason,  # staff, preview, enrolled
            "enrollment": enrollment,
            "completed": completion is not None and completion.completed,
            "may_mark_complete": completion is not None
            and completion.allowed
            and not completion.completed,
            "completes_when": completion.message if completion is not None else "",
            "video": video,
            "file": _file_context(lesson),
        },
    )


def _file_context(lesson: "Lesson") -> dict[str, str] | None:
    """A file lesson's download: its URL, a file name from the lesson's title (stored
    names are random) and the type in words."""
    if not lesson.file:
        return None
    extension = lesson.file.name.rsplit(".", 1)[-1].lower() if "." in lesson.file.name else ""
    name = slugify(lesson.title) or "lesson"
    return {
        "url": lesson.file.url,
        "name": f"{name}.{extension}" if extension else name,
        "type": extension.upper(),
    }


def _video_context(
    request: HttpRequest, lesson: "Lesson", enrollment: "Enrollment | None"
) -> dict[str, Any]:
    """The player's data: whether the browser plays the URL itself, and for a learner the
    heartbeat endpoint and what was watched so far."""
    direct = _is_direct_media(lesson.video_url)
    length = lesson.duration_minutes * 60
    progress = (
        selectors.lesson_progress_of(enrollment=enrollment, lesson_id=lesson.pk)
        if enrollment is not None and direct
        else None
    )
    watched = progress.watched_seconds if progress is not None else 0
    return {
        "direct": direct,
        "tracked": direct and enrollment is not None,
        "progress_url": f"/api/v1/lessons/{lesson.pk}/progress/",
        "position": progress.last_position_seconds if progress is not None else 0,
        "watched": watched,
        "length": length,
        "percent": min(100, watched * 100 // length) if length else None,
    }


@login_required
@require_POST
def lesson_mark_complete(request: HttpRequest, slug: str, lesson_id: int) -> HttpResponse:
    """Mark a lesson complete by hand, where its completion rule allows it (else the
    reason, as a message)."""
    lesson = _lesson_in_course(request, slug, lesson_id)
    course = lesson.module.course
    target = lesson_url(course, lesson.pk)
    try:
        lesson_access_require(request.user, lesson, course)  # Http404 outsiders
        enrollment = seated_enrollment_require(request.user, course)
        # by_request: the completion rules refuse a quiz, an assignment or a video not
        # watched far enough, with the reason (shown as the message).
        services.lesson_complete(enrollment=enrollment, lesson=lesson, by_request=True)
    except ServiceError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"“{lesson.title}” is complete.")
    return HttpResponseRedirect(target)
