"""Every page a person opens, in Chromium, as the person who would open it: it answers
with the expected status, logs no console error, raises no uncaught error, and axe-core
finds no serious or critical accessibility violation. A screenshot of each page is saved
in test-artifacts/screenshots/audit-*.png (decision 0018).

The routes come from the resolver: a page route that no visit covers fails
`test_every_page_route_is_audited`, so a new page cannot escape the audit. A route that
only takes POST (answers 405 to GET) is an action, not a page.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyotp
import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lms.testing import Cast, make_course

# Routes that are not pages, and why (each is checked to still be what it says).
NOT_PAGES = {
    "health-live": "a probe for the orchestrator",
    "health-ready": "a probe for the orchestrator",
    "metrics": "Prometheus text for the scraper",
    "favicon": "a redirect to the site icon",
    "enrollments:roster_csv": "a CSV download",
    "assignments:file_download": "a file download",
}
# Route prefixes outside the audit: the API (JSON, tested by the contract tests), the
# Django admin (Django's own pages) and the bench's twins.
SKIPPED_PREFIXES = ("api/", "^api/", "admin/", "bench/")
PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n"


# --- the world ------------------------------------------------------------------------------


@dataclass
class World:
    cast: Cast
    course: Any
    lessons: dict[str, Any]  # by kind
    quiz_open: Any  # the student has an attempt in progress (the countdown runs)
    quiz_done: Any  # the student submitted; an essay waits for grading
    attempt_done: Any
    essay_answer: Any
    quiz_item: Any
    assignment: Any
    score: Any
    enrollment: Any
    staff_member: Any
    mfa_user: Any
    params: dict[str, Any] = field(default_factory=dict)


def build_world(cast: Cast, *, video_url: str) -> World:
    """A published course with a lesson of every kind, a timed quiz in progress, a
    submitted quiz with an essay to grade, and a graded assignment: built through the
    services, as the app would build it."""
    from accounts.models import TotpDevice
    from accounts.tokens import email_verification_token_make
    from assignments.services import assignment_create, grade_submission, submission_create
    from courses.models import CourseStaff, Module
    from courses.services import lesson_create
    from enrollments.models import Enrollment
    from quizzes import services as quizzes
    from quizzes.models import AttemptAnswer

    course = make_course(cast, lessons=1, enroll=("student",), title="Audited course")
    module = Module.objects.get(course=course)
    lessons = {"text": module.lessons.get()}
    lessons["video"] = lesson_create(
        module=module, title="A short video", kind="video", video_url=video_url
    )
    lessons["file"] = lesson_create(
        module=module,
        title="Reading notes",
        kind="file",
        file=SimpleUploadedFile("notes.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    lessons["link"] = lesson_create(
        module=module, title="Further reading", kind="link", link_url="https://example.org/"
    )
    lessons["quiz"] = lesson_create(module=module, title="Checkpoint", kind="quiz")
    lessons["assignment"] = lesson_create(module=module, title="Hand in", kind="assignment")

    bank = quizzes.bank_create(course=course, title="Chapter 1")

    def question(kind: str, **definition: Any) -> Any:
        return quizzes.question_create(
            bank=bank, kind=kind, prompt=f"A {kind} question?", points="1", tags=[], **definition
        )

    def quiz(title: str, **settings: Any) -> Any:
        made = quizzes.quiz_create(
            course=course, by=cast.owner, title=title, published=True, **settings
        )
        single = question(
            "single",
            data={"options": [{"id": "a", "text": "Paris"}, {"id": "b", "text": "Lyon"}]},
            key={"correct": "a"},
        )
        item = quizzes.quiz_item_add(quiz=made, question=single, points="1")
        quizzes.quiz_item_add(quiz=made, question=question("essay", data={}, key={}), points="2")
        return made, item

    quiz_open, quiz_item = quiz("Timed checkpoint", lesson=lessons["quiz"], time_limit_minutes=30)
    quiz_done, _ = quiz("Warm-up")
    enrollment = Enrollment.objects.get(user=cast.student, course=course)
    quizzes.attempt_start(quiz=quiz_open, user=cast.student, enrollment=enrollment)
    attempt_done, _ = quizzes.attempt_start(
        quiz=quiz_done, user=cast.student, enrollment=enrollment
    )
    essay_answer = AttemptAnswer.objects.get(attempt=attempt_done, question__kind="essay")
    quizzes.attempt_answers_save(
        attempt=attempt_done,
        answers=[{"answer_id": essay_answer.pk, "response": {"text": "Because tests fail."}}],
    )
    quizzes.attempt_submit(attempt=attempt_done)

    assignment = assignment_create(
        course=course,
        by=cast.owner,
        title="Essay",
        instructions="Write **one** page.",
        points_possible=Decimal("100"),
        is_published=True,
        lesson=lessons["assignment"],
    )
    submission = submission_create(assignment=assignment, user=cast.student, text="My page.")
    grade_submission(submission=submission, by=cast.owner, points=80, release=True)
    from assignments.models import Score

    score = Score.objects.get(user=cast.student, item__source="assignment")

    mfa_user = cast.other_instructor
    TotpDevice.objects.create(
        user=mfa_user, secret=pyotp.random_base32(), confirmed_at=timezone.now()
    )
    world = World(
        cast=cast,
        course=course,
        lessons=lessons,
        quiz_open=quiz_open,
        quiz_done=quiz_done,
        attempt_done=attempt_done,
        essay_answer=essay_answer,
        quiz_item=quiz_item,
        assignment=assignment,
        score=score,
        enrollment=enrollment,
        staff_member=CourseStaff.objects.get(course=course, user=cast.ta),
        mfa_user=mfa_user,
    )
    # A value for every URL parameter of the site's routes (the coverage test needs one).
    world.params = {
        "slug": course.slug,
        "module_id": module.pk,
        "lesson_id": lessons["text"].pk,
        "quiz_id": quiz_done.pk,
        "item_id": quiz_item.pk,
        "answer_id": essay_answer.pk,
        "attempt_id": attempt_done.pk,
        "assignment_id": assignment.pk,
        "score_id": score.pk,
        "enrollment_id": enrollment.pk,
        "member_id": world.staff_member.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(cast.outsider.pk)),
        "token": default_token_generator.make_token(cast.outsider),
    }
    world.params["email_token"] = email_verification_token_make(cast.outsider)
    return world


# --- the visits -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    role: str  # anonymous, student, owner, admin (see the cast)
    route: str  # a URL name, or a path starting with "/"
    kwargs: tuple[tuple[str, Any], ...] = ()
    query: str = ""
    status: int = 200
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.route.replace(":", "-").strip("/") or "root"

    def url(self) -> str:
        path = (
            self.route
            if self.route.startswith("/")
            else reverse(self.route, kwargs=dict(self.kwargs))
        )
        return path + (f"?{self.query}" if self.query else "")


def visits(world: World) -> list[Visit]:
    p = world.params
    course = (("slug", p["slug"]),)

    def lesson(kind: str) -> Visit:
        kwargs = (("slug", p["slug"]), ("lesson_id", world.lessons[kind].pk))
        return Visit("student", "enrollments:lesson", kwargs, label=f"lesson-{kind}")

    return [
        # Anyone
        Visit("anonymous", "courses:catalogue"),
        Visit("anonymous", "courses:catalogue", query="q=Audited", label="catalogue-search"),
        Visit("anonymous", "enrollments:course_page", course, label="course-page-anonymous"),
        Visit("anonymous", "accounts:login"),
        Visit("anonymous", "accounts:signup"),
        Visit("anonymous", "accounts:signup_done"),
        Visit("anonymous", "accounts:password_reset"),
        Visit("anonymous", "accounts:password_reset_done"),
        Visit(
            "anonymous",
            "accounts:password_reset_confirm",
            (("uidb64", p["uidb64"]), ("token", p["token"])),
        ),
        Visit("anonymous", "accounts:password_reset_complete"),
        Visit("anonymous", "accounts:verify_email", (("token", p["email_token"]),)),
        Visit("anonymous", "payments:cancel", label="payments-cancel-anonymous"),
        Visit("anonymous", "/no-such-page/", status=404, label="404"),
        # A learner
        Visit("student", "enrollments:my_learning"),
        Visit("student", "enrollments:course_page", course, label="course-page-learner"),
        *(lesson(kind) for kind in world.lessons),
        Visit(
            "student", "quizzes:take", (("quiz_id", world.quiz_open.pk),), label="quiz-countdown"
        ),
        Visit("student", "quizzes:take", (("quiz_id", world.quiz_done.pk),), label="quiz-taken"),
        Visit("student", "quizzes:attempt", (("attempt_id", world.attempt_done.pk),)),
        Visit("student", "assignments:learner_list", course),
        Visit("student", "assignments:learner_detail", (("assignment_id", world.assignment.pk),)),
        Visit("student", "assignments:learner_grades", course),
        Visit("student", "payments:success", query="session_id=cs_test_unknown"),
        Visit("student", "payments:cancel"),
        Visit("student", "accounts:mfa_setup"),
        # The Django admin is for staff: a learner gets the 403 page.
        Visit("student", "accounts:admin_login", status=403, label="403"),
        # The course's instructor
        Visit("owner", "courses:instructor_courses"),
        Visit("owner", "courses:create"),
        Visit("owner", "courses:editor", course),
        Visit("owner", "courses:settings", course),
        *(
            Visit(
                "owner",
                "courses:lesson_edit",
                (("slug", p["slug"]), ("lesson_id", world.lessons[kind].pk)),
                label=f"lesson-edit-{kind}",
            )
            for kind in ("text", "video", "quiz")
        ),
        Visit(
            "owner",
            "courses:lesson_add",
            (("slug", p["slug"]), ("module_id", world.lessons["text"].module_id)),
            query="kind=video",
        ),
        Visit("owner", "enrollments:roster", course),
        Visit("owner", "enrollments:learner", (*course, ("enrollment_id", p["enrollment_id"]))),
        Visit("owner", "quizzes:list", course),
        Visit("owner", "quizzes:builder", (*course, ("quiz_id", world.quiz_open.pk))),
        Visit("owner", "quizzes:grading", (*course, ("quiz_id", world.quiz_done.pk))),
        Visit("owner", "quizzes:results", (*course, ("quiz_id", world.quiz_done.pk))),
        Visit("owner", "assignments:staff_list", course),
        Visit("owner", "assignments:create", course),
        Visit("owner", "assignments:edit", (("assignment_id", world.assignment.pk),)),
        Visit("owner", "assignments:speed_grader", (("assignment_id", world.assignment.pk),)),
        Visit("owner", "assignments:gradebook", course),
        Visit("owner", "assignments:score_history", (("score_id", p["score_id"]),)),
        # The platform's admin opens the instructor pages of any course
        Visit("admin", "courses:instructor_courses", label="instructor-courses-admin"),
        Visit("admin", "courses:editor", course, label="editor-admin"),
    ]


# Pages reached only through a form, visited by the steps in the test itself.
VISITED_BY_STEPS = {"accounts:login_mfa": "after the password of a user with MFA"}


# --- the coverage check (no browser) --------------------------------------------------------


def page_routes() -> Iterator[tuple[str, str, list[str]]]:
    """(url name, route, parameter names) of every named route outside SKIPPED_PREFIXES."""

    def walk(
        patterns: list[Any], prefix: str, namespace: str, params: list[str]
    ) -> Iterator[tuple[str, str, list[str]]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith(SKIPPED_PREFIXES):
                continue
            names = [*params, *pattern.pattern.regex.groupindex]
            if isinstance(pattern, URLResolver):
                inner = namespace if not pattern.namespace else pattern.namespace
                if namespace and pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}"
                yield from walk(pattern.url_patterns, route, inner, names)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route, names

    yield from walk(get_resolver().url_patterns, "", "", [])


@pytest.fixture
def world(cast: Cast, settings: Any, tmp_path: Any) -> World:
    settings.ASSIGNMENTS_FILES_ROOT = tmp_path / "private"
    return build_world(cast, video_url="http://127.0.0.1:9/clip-4s.webm")


@pytest.mark.django_db
def test_every_page_route_is_audited(world: World) -> None:
    names = [v.name for v in visits(world)]
    assert len(names) == len(set(names)), "two visits share a name (and a screenshot)"
    audited = {v.route for v in visits(world)} | set(VISITED_BY_STEPS)
    admin = Client()
    admin.force_login(world.cast.admin)
    missing = []
    for name, route, params in page_routes():
        if name in audited or name in NOT_PAGES:
            continue
        kwargs = {}
        for param in params:
            if param not in world.params:
                missing.append(f"{name} ({route}): no value for <{param}> in World.params")
                break
            kwargs[param] = world.params[param]
        else:
            status = admin.get(reverse(name, kwargs=kwargs)).status_code
            if status != 405:  # 405: an action that only takes POST
                missing.append(f"{name} ({route}): GET answers {status}")
    assert not missing, "page routes the audit does not visit:\n" + "\n".join(missing)


# --- the audit (Chromium) -------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_is_accessible_and_error_free(
    cast: Cast, settings: Any, tmp_path: Any, assets_url: str, new_page: Callable[[], Any]
) -> None:
    from playwright.sync_api import expect

    from lms.testing.browser import (
        axe_violations,
        clear_screenshots,
        screenshot,
        sign_in,
        take_problems,
    )

    clear_screenshots("audit-")
    settings.ASSIGNMENTS_FILES_ROOT = tmp_path / "private"
    world = build_world(cast, video_url=f"{assets_url}/clip-4s.webm")
    findings: dict[str, list[str]] = {}
    pages: dict[str, Any] = {}

    def page_for(role: str) -> Any:
        if role not in pages:
            pages[role] = new_page()
            user = cast.user(role)
            if user is not None:
                sign_in(pages[role], user.email)
                take_problems(pages[role])
        return pages[role]

    def check(page: Any, name: str, status: int | None, expected: int) -> None:
        found = []
        if status != expected:
            found.append(f"status {status}, expected {expected}")
        found += take_problems(page, expected_status=expected if expected != 200 else None)
        found += axe_violations(page)
        screenshot(page, f"audit-{name}")
        if found:
            findings[f"{name} ({page.url})"] = found

    for visit in visits(world):
        try:
            url = visit.url()
        except NoReverseMatch:
            findings[visit.name] = [f"no route named {visit.route} yet"]
            continue
        page = page_for(visit.role)
        response = page.goto(url)
        check(page, visit.name, response.status if response else None, visit.status)

    # Pages that only a form leads to. The MFA step of the login: a user with an
    # authenticator signs in with the password (sign_in waits to leave the login page).
    mfa = new_page()
    sign_in(mfa, world.mfa_user.email)
    expect(mfa).to_have_url(re.compile(re.escape(reverse("accounts:login_mfa"))))
    check(mfa, "accounts-login_mfa", 200, 200)
    # The recovery codes, shown once the learner turns two-step verification on.
    learner = page_for("student")
    learner.goto(reverse("accounts:mfa_setup"))
    secret = learner.get_by_role("main").locator("code").inner_text()
    learner.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    learner.get_by_role("button", name="Turn on two-step verification").click()
    expect(learner.get_by_role("heading", name="Two-step verification is on")).to_be_visible()
    check(learner, "accounts-mfa_recovery_codes", 200, 200)

    report = "\n".join(
        f"{name}:\n" + "\n".join(f"  - {line}" for line in lines)
        for name, lines in findings.items()
    )
    assert not findings, f"{len(findings)} page(s) with problems:\n{report}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_checks_catch_a_broken_page(page: Any) -> None:
    """The audit can fail: a page without language, title or label, with pale text and a
    script that logs an error and throws, is caught on every count."""
    from lms.testing.browser import axe_violations, take_problems

    page.set_content(
        "<html><body><main><input type='text'>"
        "<p style='color:#ddd;background:#fff'>Too pale to read</p>"
        "<script>console.error('boom'); null.property;</script></main></body></html>"
    )
    rules = {line.split()[1] for line in axe_violations(page)}
    assert {"html-has-lang", "document-title", "label", "color-contrast"} <= rules, rules
    problems = take_problems(page)
    assert any(p.startswith("console error: boom") for p in problems), problems
    assert any(p.startswith("uncaught error:") for p in problems), problems
    assert take_problems(page) == []  # taken once: the page fixture ends clean
