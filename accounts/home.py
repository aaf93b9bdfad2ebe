"""Where each person's home is: learners on My learning, course teams and admins on the
instructor pages. The one rule behind the login page, the MFA step, the header link and
the 403 page.

Who teaches a course is known to the courses app, which sits above accounts and cannot be
imported here: it registers a check at start-up (`register_course_team_check`, from its
AppConfig.ready), as enrollments registers learner checks with courses.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.shortcuts import resolve_url

from accounts.models import User

CourseTeamCheck = Callable[[Any], bool]
_course_team_checks: list[CourseTeamCheck] = []

# The answer is remembered on the user object: one lookup per request at most.
_MEMO_ATTR = "_accounts_is_course_team"


def register_course_team_check(check: CourseTeamCheck) -> None:
    """`check(user) -> bool`: the user is on the team of at least one course."""
    if check not in _course_team_checks:
        _course_team_checks.append(check)


def is_course_team(user: Any) -> bool:
    """Platform instructors and admins (they create courses), and anyone on a course's
    team (a TA is a student by platform role)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role in (User.Role.INSTRUCTOR, User.Role.ADMIN):
        return True
    # getattr/setattr, not __dict__: request.user is a lazy proxy that forwards them.
    memo = getattr(user, _MEMO_ATTR, None)
    if memo is None:
        memo = any(check(user) for check in _course_team_checks)
        setattr(user, _MEMO_ATTR, memo)
    return bool(memo)


def home_url_for(user: Any) -> str:
    """The path a signed-in user lands on; anonymous visitors go to the sign-in page."""
    if user is None or not getattr(user, "is_authenticated", False):
        return resolve_url(settings.LOGIN_URL)
    name = settings.TEAM_HOME_URL if is_course_team(user) else settings.LEARNER_HOME_URL
    return resolve_url(name)


def home_label_for(user: Any) -> str:
    """The name of that page, for links to it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "Sign in"
    return "My courses" if is_course_team(user) else "My learning"
