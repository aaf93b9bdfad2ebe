"""What every instructor page of the courses app shares: who gets in, how a course is
looked up for a request, and how a refused write is shown.

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
from django.urls import reverse
from django.views.decorators.http import require_POST

from courses import selectors
from courses.models import Course
from courses.permissions import can_create_course
from lms.errors import ServiceError

if TYPE_CHECKING:
    from accounts.models import User

View = Callable[..., HttpResponse]
CoursePredicate = Callable[[Any, Course], bool]


def user_of(request: HttpRequest) -> "User":
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


def course_for(request: HttpRequest, slug: str, allowed: CoursePredicate) -> Course:
    course = selectors.course_get_visible(slug=slug, user=request.user)  # 404 for drafts
    if not allowed(request.user, course):
        raise PermissionDenied
    return course


def content_url(course: Course, anchor: str = "") -> str:
    url = reverse("courses:editor", kwargs={"slug": course.slug})
    return f"{url}#{anchor}" if anchor else url


def settings_url(course: Course, anchor: str = "") -> str:
    url = reverse("courses:settings", kwargs={"slug": course.slug})
    return f"{url}#{anchor}" if anchor else url


def show_refusal(request: HttpRequest, error: ValidationError | ServiceError) -> None:
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


def valid_data(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return cast(dict[str, Any], form.cleaned_data)


def course_action(
    allowed: CoursePredicate, *, back: Callable[[Course], str] = content_url
) -> Callable[[Callable[..., str | None]], View]:
    """A POST-only action on a course page: checks `allowed`, runs, redirects to where the
    action says (else `back`), and shows a refused write as a message."""

    def decorate(action: Callable[..., str | None]) -> View:
        @require_POST
        @instructor_page
        @wraps(action)
        def view(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
            course = course_for(request, slug, allowed)
            try:
                target = action(request, course, **kwargs)
            except (ValidationError, ServiceError) as error:
                show_refusal(request, error)
                target = None
            return HttpResponseRedirect(target or back(course))

        return view

    return decorate
