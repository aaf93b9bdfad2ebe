"""Every email the project sends, through the code that sends it, to a real SMTP server;
every link in it followed against the running app (live_server). No dead link: each one
answers 200 with the page it promises, and a link with a token does what it says (the
address is verified, the new password is set).

Twice: with the default links (the app's own pages on PUBLIC_BASE_URL, set to where the
test server listens), and with an SPA's link templates pointing at a small "frontend"
server on loopback, where the link must arrive with the right path and token, and the
token must work against the API.

The emails are discovered from the templates (`<dir>/email/<name>_subject.txt`): an email
added without a step here fails `test_every_email_is_covered` at once, and the scenarios
check that each one was really rendered and sent.
"""

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.apps import apps
from django.conf import settings
from django.test.signals import template_rendered
from django.urls import resolve, reverse

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD, AdminFactory, UserFactory
from courses.models import Course
from lms.links import LINKS
from lms.testing import client_for, course_lessons, make_course
from lms.testing.smtp import SmtpSink, message_links, text_and_html
from payments.tests.conftest import make_paid_course
from payments.tests.flows import pay_with_intent

pytestmark = [pytest.mark.django_db(transaction=True)]

PASSWORD = "link-test-passphrase-2026"
TIMEOUT = 10

# The links each email must carry (by link name, lms/links.py).
EXPECTED_LINKS: dict[str, set[str]] = {
    "verify_email": {"verify_email"},
    "welcome": {"login"},
    "new_login": {"forgot_password"},
    "password_reset": {"reset_password"},
    "password_changed": {"forgot_password"},
    "invitation": {"reset_password", "forgot_password"},
    "account_locked": {"reset_password", "forgot_password"},
    "enrolled": {"course", "my_learning"},
    "waitlist_promoted": {"course", "my_learning"},
    "course_completed": {"course", "my_learning"},
    "receipt_paid": {"course"},
    "receipt_refunded": set(),
}

# An SPA's templates: paths of its own, query strings with `&` (which a text body must
# not escape), and the parameters it needs to call the API.
SPA_TEMPLATES = {
    "verify_email": "{frontend}/verify?token={token}",
    "reset_password": "{frontend}/reset?uid={uid}&token={token}",
    "forgot_password": "{frontend}/forgot",
    "login": "{frontend}/login?from=email&kind=welcome",
    "course": "{frontend}/courses/{slug}?ref=email&kind=course",
    "my_learning": "{frontend}/learn?ref=email&tab=current",
}
SPA_ROUTES = {
    "/verify": "verify_email",
    "/reset": "reset_password",
    "/forgot": "forgot_password",
    "/login": "login",
    "/learn": "my_learning",
}
# What marks a page that answers 200 but is an error all the same.
ERROR_MARKERS = (
    "invalid or has expired",
    "Page not found",
    "Server Error",
    "not open to your account",
)


# --- which emails exist, and which were sent ---------------------------------------------


def email_templates() -> set[str]:
    """`<dir>/<name>` of every email in the project's templates."""
    roots = [Path(settings.BASE_DIR) / "templates"]
    for config in apps.get_app_configs():
        path = Path(config.path)
        if path.is_relative_to(settings.BASE_DIR) and ".venv" not in path.parts:
            roots.append(path / "templates")
    found = set()
    for root in roots:
        for subject in root.glob("**/email/*_subject.txt"):
            folder = subject.parent.relative_to(root).as_posix()
            found.add(f"{folder}/{subject.name.removesuffix('_subject.txt')}")
    return found


SUBJECT_TEMPLATE = re.compile(r"^(?P<email>.+/email/\w+)_subject\.txt$")


@pytest.fixture
def rendered_emails() -> Iterator[set[str]]:
    """`<dir>/<name>` of every email rendered while the test runs (any thread)."""
    seen: set[str] = set()

    def record(sender: Any, template: Any, **kwargs: Any) -> None:
        match = SUBJECT_TEMPLATE.match(getattr(template, "name", None) or "")
        if match:
            seen.add(match["email"])

    template_rendered.connect(record, weak=False)
    try:
        yield seen
    finally:
        template_rendered.disconnect(record)


def email_name(message: EmailMessage) -> str:
    """The email's template name, from the Message-ID accounts.emails gives it."""
    match = re.search(r"<outbox-\d+-(\w+)@", str(message["Message-ID"]))
    assert match, message["Message-ID"]
    return match[1]


# --- the SPA stand-in ----------------------------------------------------------------------


class Frontend:
    """A tiny HTTP server standing in for an SPA: it answers every GET with a page and
    remembers what was asked for."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        frontend = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server calls
                frontend.requests.append(self.path)
                body = b"<!DOCTYPE html><title>SPA</title><div id=app></div>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Frontend":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- following links -----------------------------------------------------------------------


@dataclass
class Followed:
    """One emailed link, followed: its name, and what it carried (SPA) or the page it
    opened with the browser session that opened it (app pages)."""

    name: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    session: requests.Session | None = None
    page: requests.Response | None = None


@dataclass
class Links:
    """Follows emailed links as their recipient would: on the app's pages (`frontend` is
    None) or at the SPA, whose routes then call the API with what the link carried."""

    base: str
    frontend: Frontend | None
    passwords: dict[str, str]

    def classify(self, url: str) -> tuple[str, dict[str, str]]:
        parts = urlsplit(url)
        if self.frontend is None:
            assert url.startswith(f"{self.base}/"), f"{url} is not on {self.base}"
            match = resolve(parts.path)
            names = {spec.url_name: spec.name for spec in LINKS.values()}
            assert match.view_name in names, f"{url} opens {match.view_name}, no known link"
            return names[match.view_name], {k: str(v) for k, v in match.kwargs.items()}
        assert url.startswith(f"{self.frontend.url}/"), f"{url} is not on the SPA"
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path.startswith("/courses/"):
            return "course", {"slug": parts.path.removeprefix("/courses/"), **query}
        assert parts.path in SPA_ROUTES, url
        return SPA_ROUTES[parts.path], query

    def follow(self, url: str, recipient: str) -> Followed:
        name, params = self.classify(url)
        if self.frontend is not None:
            before = len(self.frontend.requests)
            response = requests.get(url, timeout=TIMEOUT, allow_redirects=False)
            assert response.status_code == 200, url
            assert self.frontend.requests[before:] == [url.removeprefix(self.frontend.url)]
            return Followed(name, url, params)
        session = requests.Session()
        page = session.get(url, timeout=TIMEOUT)
        login = urlsplit(page.url)
        if login.path == reverse("accounts:login") and "next" in parse_qs(login.query):
            page = self._sign_in(session, page, recipient)
        assert page.status_code == 200, (url, page.status_code, page.url)
        for marker in ERROR_MARKERS:
            assert marker not in page.text, (url, marker, page.url)
        return Followed(name, url, params, session, page)

    def _sign_in(
        self, session: requests.Session, form: requests.Response, email: str
    ) -> requests.Response:
        """The link needs a signed-in recipient: sign in on the page it led to, which
        sends them on to the link's page (`next`)."""
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert csrf, form.text
        next_url = parse_qs(urlsplit(form.url).query)["next"][0]
        return session.post(
            form.url,
            data={
                "csrfmiddlewaretoken": csrf[1],
                "username": email,
                "password": self.passwords[email],
                "next": next_url,
            },
            timeout=TIMEOUT,
        )


# --- the scenario ----------------------------------------------------------------------------


@dataclass
class Scenario:
    """Every email, each step through the code a real request runs, each link followed."""

    links: Links
    inbox: SmtpSink
    stripe: Any  # localstripe
    checked: list[str] = field(default_factory=list)

    @property
    def spa(self) -> bool:
        return self.links.frontend is not None

    def email(self, to: str, name: str) -> dict[str, list[Followed]]:
        """Takes the next `name` email to `to`, checks its links, follows every one."""
        message = self.inbox.take(lambda m: m["To"] == to and email_name(m) == name)
        assert message.get_content_type() == "multipart/alternative"
        text, html_body = text_and_html(message)
        urls = message_links(message)
        for url in urls:
            # The same link in both bodies, written out in full in the text.
            assert url in text and url.replace("&", "&amp;") in html_body, (name, url)
        followed: dict[str, list[Followed]] = {}
        for url in urls:
            link = self.links.follow(url, to)
            followed.setdefault(link.name, []).append(link)
        assert set(followed) == EXPECTED_LINKS[name], (name, urls)
        self.checked.append(name)
        return followed

    # What a link with a token is for, done as its recipient would.

    def verify(self, link: Followed, user: User) -> None:
        if self.spa:
            response = client_for(None).post(
                "/api/v1/auth/email/verify/", {"token": link.params["token"]}, format="json"
            )
            assert response.status_code == 200, response.content
        else:
            assert link.page is not None and "Email address confirmed" in link.page.text
        user.refresh_from_db()
        assert user.email_verified_at is not None

    def set_password(self, link: Followed, email: str, password: str) -> None:
        if self.spa:
            response = client_for(None).post(
                "/api/v1/auth/password/reset/confirm/",
                {
                    "uid": link.params["uid"],
                    "token": link.params["token"],
                    "new_password": password,
                },
                format="json",
            )
            assert response.status_code == 204, response.content
        else:
            assert link.page is not None and link.session is not None
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', link.page.text)
            assert csrf and 'name="new_password1"' in link.page.text, link.page.text
            done = link.session.post(
                link.page.url,
                data={
                    "csrfmiddlewaretoken": csrf[1],
                    "new_password1": password,
                    "new_password2": password,
                },
                timeout=TIMEOUT,
            )
            assert done.status_code == 200 and "new password is saved" in done.text, done.url
        self.links.passwords[email] = password
        assert api_login(email, password).status_code == 200

    def course(self, link: Followed, course: Course) -> None:
        """The course link opens that course: its page, or for the SPA its API detail."""
        assert link.params["slug"] == course.slug
        if self.spa:
            response = client_for(None).get(f"/api/v1/courses/{course.slug}/")
            assert response.status_code == 200
        else:
            assert link.page is not None and html.escape(course.title) in link.page.text


def api_login(email: str, password: str, user_agent: str = "LinkTest/1.0") -> Any:
    return client_for(None).post(
        "/api/v1/auth/login/",
        {"email": email, "password": password},
        format="json",
        HTTP_USER_AGENT=user_agent,
    )


def run_scenario(s: Scenario) -> None:
    passwords = s.links.passwords

    # Sign up: the address is verified from the email, then a welcome.
    email = "lea@example.test"
    passwords[email] = PASSWORD
    response = client_for(None).post(
        "/api/v1/auth/register/",
        {"email": email, "password": PASSWORD, "first_name": "Lea"},
        format="json",
    )
    assert response.status_code == 201, response.content
    lea = User.objects.get(email=email)
    s.verify(s.email(email, "verify_email")["verify_email"][0], lea)
    s.email(email, "welcome")

    # A sign-in from a new app, then a forgotten password.
    assert api_login(email, PASSWORD).status_code == 200
    s.email(email, "new_login")
    response = client_for(None).post(
        "/api/v1/auth/password/reset/", {"email": email}, format="json"
    )
    assert response.status_code == 202
    reset = s.email(email, "password_reset")["reset_password"][0]
    s.set_password(reset, email, "reset-passphrase-2026")
    s.email(email, "password_changed")

    # Five wrong passwords lock the account; the notice's link resets it, and unlocks.
    for _ in range(settings.LOCKOUT_THRESHOLD):
        assert api_login(email, "wrong-password").status_code == 401
    assert api_login(email, passwords[email]).status_code == 401  # locked
    locked = s.email(email, "account_locked")["reset_password"][0]
    s.set_password(locked, email, "unlocked-passphrase-2026")
    s.email(email, "password_changed")

    # An admin invites an instructor, who chooses a password from the email.
    invitee = "ina@example.test"
    response = client_for(AdminFactory()).post(
        "/api/v1/users/", {"email": invitee, "role": "instructor"}, format="json"
    )
    assert response.status_code == 201, response.content
    s.set_password(s.email(invitee, "invitation")["reset_password"][0], invitee, PASSWORD)
    s.email(invitee, "password_changed")
    s.email(invitee, "new_login")  # set_password signed in with it, a first time

    # A course with one seat: enrolled, waitlisted, promoted, completed.
    course = make_course(lessons=2, capacity=1, title="Links & Tokens")
    lea_client = client_for(lea)
    response = lea_client.post(f"/api/v1/courses/{course.slug}/enroll/")
    assert response.status_code == 201, response.content
    enrollment_id = response.json()["data"]["id"]
    s.course(s.email(email, "enrolled")["course"][0], course)
    waiting = UserFactory(first_name="Wim")
    passwords[waiting.email] = TEST_PASSWORD
    waiting_client = client_for(waiting)
    assert waiting_client.post(f"/api/v1/courses/{course.slug}/enroll/").status_code == 201
    s.course(s.email(waiting.email, "enrolled")["course"][0], course)  # the waitlist variant
    assert lea_client.post(f"/api/v1/enrollments/{enrollment_id}/drop/").status_code == 200
    s.course(s.email(waiting.email, "waitlist_promoted")["course"][0], course)
    for lesson in course_lessons(course):
        assert waiting_client.post(f"/api/v1/lessons/{lesson.pk}/complete/").status_code in (
            200,
            201,
        )
    s.course(s.email(waiting.email, "course_completed")["course"][0], course)

    # A paid course: paid on Stripe (localstripe), receipt; then partly refunded.
    buyer = UserFactory(first_name="Bo")
    passwords[buyer.email] = TEST_PASSWORD
    paid = make_paid_course(title="Paid & Linked")
    order = pay_with_intent(buyer, paid, s.stripe)
    s.course(s.email(buyer.email, "enrolled")["course"][0], paid)
    s.course(s.email(buyer.email, "receipt_paid")["course"][0], paid)
    response = client_for(AdminFactory()).post(
        f"/api/v1/orders/{order.pk}/refund/", {"amount": 900, "reason": "Late"}, format="json"
    )
    assert response.status_code == 201, response.content
    s.email(buyer.email, "receipt_refunded")

    # Nothing else was sent that no step looked at.
    assert [str(m["Subject"]) for m in s.inbox.untaken()] == []


# --- the tests -------------------------------------------------------------------------------


def test_every_email_is_covered():
    """A new email template needs its links declared here and a step in the scenario."""
    names = {template.rsplit("/", 1)[1] for template in email_templates()}
    assert len(names) == len(email_templates()), "two emails share a name"
    assert names == set(EXPECTED_LINKS)


@pytest.fixture
def inbox(smtp_server: SmtpSink, live_server: Any, settings: Any, stripe_on: Any) -> SmtpSink:
    """Mail to the real SMTP server, links based where the test server listens, and
    payments on localstripe."""
    settings.PUBLIC_BASE_URL = live_server.url
    settings.FRONTEND_URL = live_server.url
    settings.LINK_TEMPLATES = {}
    return smtp_server


def test_every_link_opens_the_apps_own_page(inbox, live_server, localstripe, rendered_emails):
    scenario = Scenario(Links(live_server.url, None, {}), inbox, localstripe)

    run_scenario(scenario)

    assert rendered_emails == email_templates()
    assert set(scenario.checked) == set(EXPECTED_LINKS)


def test_every_link_reaches_the_spa_and_its_token_works_on_the_api(
    inbox, live_server, localstripe, rendered_emails, settings
):
    with Frontend() as frontend:
        settings.FRONTEND_URL = frontend.url
        settings.LINK_TEMPLATES = SPA_TEMPLATES
        scenario = Scenario(Links(live_server.url, frontend, {}), inbox, localstripe)

        run_scenario(scenario)

    assert rendered_emails == email_templates()
    assert set(scenario.checked) == set(EXPECTED_LINKS)
    assert set(SPA_TEMPLATES) == set(LINKS)  # every link was sent to the SPA
