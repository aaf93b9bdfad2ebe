"""The learner portal's pages (issue 15): the HTML a person opens, as built (real
permissions, templates, cache), variant "real" only. Each page's JSON twin is measured in
the same run (`catalogue`, `course_detail`, `my_enrollments`, `lesson_access`), so the
report reads as page / API for the same data.

Pages sign in with Django's session cookie, not a bearer token: the sessions are made here
in the bench database, as `django.contrib.auth.login` makes them.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts.models import User
from bench.runner.scenarios import Dataset, Scenario
from bench.runner.wrk import Request


def session_cookies_for(user_ids: list[int]) -> dict[int, str]:
    """A signed-in session per user, as a Cookie header value."""
    users = User.objects.in_bulk(user_ids)
    cookies = {}
    for uid in user_ids:
        session = SessionStore()
        session[SESSION_KEY] = str(uid)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = users[uid].get_session_auth_hash()
        session.create()
        cookies[uid] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    return cookies


def page_scenarios(data: Dataset) -> list[Scenario]:
    def anonymous(paths: list[str]) -> Callable[[str], list[Request]]:
        return lambda variant: [Request("GET", path, {}) for path in paths]

    def learner_pages(
        path_for: Callable[[tuple[int, str, int]], str],
    ) -> Callable[[str], list[Request]]:
        def build(variant: str) -> list[Request]:
            cookies = session_cookies_for(sorted({seat[0] for seat in data.seats}))
            return [
                Request("GET", path_for(seat), {"Cookie": cookies[seat[0]]}) for seat in data.seats
            ]

        return build

    return [
        Scenario("page_catalogue", "catalogue page (HTML, anonymous)", anonymous(["/"]),
                 variants=("real",), cached=True),
        Scenario("page_course", "course page (HTML, anonymous)",
                 anonymous([f"/courses/{slug}/" for slug in data.published_slugs]),
                 variants=("real",)),
        Scenario("page_my_learning", "My learning (HTML)",
                 learner_pages(lambda seat: "/learn/"), variants=("real",)),
        Scenario("page_lesson", "lesson player (HTML)",
                 learner_pages(lambda seat: f"/learn/courses/{seat[1]}/lessons/{seat[2]}/"),
                 variants=("real",)),
    ]  # fmt: skip
