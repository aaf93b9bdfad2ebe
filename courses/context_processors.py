"""Template context for the site header (templates/base.html).

Listed in settings TEMPLATES, after accounts' `home` (which gives `home_url`).
"""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.home import is_course_team


def instructor_nav(request: HttpRequest) -> dict[str, Any]:
    """`show_instructor_link`: whether the header links to the instructor pages, i.e.
    whether they let this user in (platform instructors and admins, anyone on a course
    team: accounts.home.is_course_team, whose team check courses registers). Lazy, and
    remembered on the user with `home_url`'s answer: one query at most per request, none
    for anonymous visitors."""
    user = getattr(request, "user", None)
    return {"show_instructor_link": SimpleLazyObject(lambda: is_course_team(user))}
