"""A world for the contract tests, built through the public API as a client would, and
the catalogue of every operation in the OpenAPI document: who calls it, on what, with
which valid body.

`build_world(api)` makes a published course with a team, learners, a quiz (with a
submitted essay attempt and an open attempt), an assignment with a submission, a
gradebook, MFA users, a paid course and a paid order; plus throwaway objects for each
destructive call. `operations(world)` then lists one `Call` per operation of the schema;
`test_catalogue_covers_the_schema` fails when an operation has none, so a new endpoint
cannot escape these tests.
"""

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyotp
import requests
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.auth_helpers import access_token_for
from accounts.tests.factories import TEST_PASSWORD, AdminFactory, InstructorFactory, UserFactory
from accounts.tokens import email_verification_token_make, password_reset_token, uid_encode
from lms.testing import Cast, cast_create
from payments.tests.stripe_servers import event, signed

MISSING_ID = 987654321
MISSING_SLUG = "no-such-thing-anywhere"


@dataclass
class Raw:
    """A body sent as given, with its own headers (the signed Stripe webhook)."""

    payload: bytes
    headers: dict[str, str]
    content_type: str = "application/json"


@dataclass
class Answer:
    status_code: int
    content_type: str
    content: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.content)


class Api:
    """API calls as a role of the cast (or a named extra user): in process through DRF's
    test client, or over HTTP to a real server when `base_url` is given."""

    def __init__(self, cast: Cast, base_url: str | None = None) -> None:
        self.cast = cast
        self.base_url = base_url
        self.users: dict[str, Any] = {}
        self._clients: dict[str, APIClient] = {}
        self._tokens: dict[str, str | None] = {}

    def user(self, role: str) -> Any:
        return self.users[role] if role in self.users else self.cast.user(role)

    def token(self, role: str) -> str | None:
        if role not in self._tokens:
            user = self.user(role)
            self._tokens[role] = None if user is None else access_token_for(user)
        return self._tokens[role]

    def client(self, role: str) -> APIClient:
        if role not in self._clients:
            client = APIClient()
            token = self.token(role)
            if token:
                client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            self._clients[role] = client
        return self._clients[role]

    def call(self, role: str, method: str, path: str, body: Any = None, fmt: str = "json") -> Any:
        if callable(body):
            body = body(self)
        if self.base_url is not None:
            return self._http(role, method, path, body, fmt)
        client = self.client(role)
        kwargs: dict[str, Any] = {}
        if isinstance(body, Raw):
            kwargs = {"data": body.payload, "content_type": body.content_type}
            kwargs.update(
                {"HTTP_" + k.upper().replace("-", "_"): v for k, v in body.headers.items()}
            )
        elif body is not None:
            kwargs = {"data": body, "format": fmt}
        response = getattr(client, method.lower())(path, **kwargs)
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return Answer(
            response.status_code, response.get("Content-Type", ""), content, dict(response.items())
        )

    def _http(self, role: str, method: str, path: str, body: Any, fmt: str) -> Answer:
        headers = {}
        token = self.token(role)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"headers": headers, "timeout": 30, "allow_redirects": False}
        if isinstance(body, Raw):
            headers.update(body.headers)
            headers["Content-Type"] = body.content_type
            kwargs["data"] = body.payload
        elif body is not None and fmt == "multipart":
            # Every part as a file part (plain fields without a file name), so the body is
            # multipart even when no file is sent.
            kwargs["files"] = {
                k: v if hasattr(v, "read") else (None, str(v)) for k, v in body.items()
            }
        elif body is not None:
            kwargs["json"] = body
        response = requests.request(  # noqa: S113  # the timeout is in kwargs
            method.upper(), f"{self.base_url}{path}", **kwargs
        )
        return Answer(
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.content,
            dict(response.headers),
        )

    def ok(self, role: str, method: str, path: str, body: Any = None, fmt: str = "json") -> Any:
        response = self.call(role, method, path, body, fmt)
        assert response.status_code < 300, (method, path, response.status_code, response.content)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()["data"]


@dataclass
class World:
    cast: Cast
    ids: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)  # named extras beside the cast

    def api(self, base_url: str | None = None) -> "Api":
        """Calls as this world's people, in process or against a server."""
        api = Api(self.cast, base_url)
        api.users = self.users
        return api

    def __getitem__(self, key: str) -> Any:
        return self.ids[key]


def _csv(text: str, name: str = "upload.csv") -> io.BytesIO:
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


def _course(api: Api, role: str, title: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("description", f"All about {title.lower()}.")
    course = api.ok(role, "post", "/api/v1/courses/", {"title": title, **fields})
    slug = course["slug"]
    module = api.ok(role, "post", f"/api/v1/courses/{slug}/modules/", {"title": "Module one"})
    lesson = api.ok(
        role,
        "post",
        f"/api/v1/courses/{slug}/lessons/",
        {"module": module["id"], "title": "Reading", "kind": "text", "body": "Read this."},
    )
    return {"slug": slug, "module": module["id"], "lesson": lesson["id"]}


def build_world(api: Api, pay: Callable[[Any, str], int] | None = None) -> World:
    """`pay(user, course_slug) -> order id` buys the paid course (needs Stripe: localstripe)."""
    cast = api.cast
    world = World(cast=cast, users=api.users)
    ids = world.ids
    for role in ("admin_extra",):
        api.users[role] = AdminFactory()
    for role in (
        "mfa_user",
        "mfa_login",
        "mfa_disable",
        "password_changer",
        "password_resetter",
        "logout_user",
        "logout_all_user",
        "promotee",
        "dropper",
    ):
        api.users[role] = UserFactory()
    api.users["new_staff"] = InstructorFactory()
    api.users["bulk_learner"] = UserFactory()
    api.users["unverified"] = UserFactory(email_verified_at=None)
    api.users["locked"] = UserFactory(
        failed_login_count=99, locked_until=timezone.now() + timezone.timedelta(hours=1)
    )

    # Taxonomy (admin).
    ids["category"] = api.ok("admin", "post", "/api/v1/categories/", {"name": "Science"})["slug"]
    ids["category_to_delete"] = api.ok(
        "admin", "post", "/api/v1/categories/", {"name": "Old category"}
    )["slug"]
    ids["tag"] = api.ok("admin", "post", "/api/v1/tags/", {"name": "Physics"})["slug"]
    ids["tag_to_delete"] = api.ok("admin", "post", "/api/v1/tags/", {"name": "Old tag"})["slug"]

    # The main course: team, lessons of every activity kind, published, two learners.
    main = _course(api, "owner", "Main course", category=ids["category"], tags=[ids["tag"]])
    slug = ids["course"] = main["slug"]
    ids["module"], ids["lesson"] = main["module"], main["lesson"]
    base = f"/api/v1/courses/{slug}"
    for role in ("instructor", "ta"):
        api.ok("owner", "post", f"{base}/staff/", {"email": api.user(role).email, "role": role})
    lessons = {}
    for kind, extra in (
        ("text", {"body": "More."}),
        ("video", {"video_url": "https://videos.example.test/v.mp4", "duration_minutes": 10}),
        ("quiz", {}),
        ("assignment", {}),
    ):
        lessons[kind] = api.ok(
            "owner",
            "post",
            f"{base}/lessons/",
            {"module": ids["module"], "title": f"A {kind} lesson", "kind": kind, **extra},
        )["id"]
    ids["video_lesson"] = lessons["video"]
    ids["lesson_to_delete"] = api.ok(
        "owner", "post", f"{base}/lessons/", {"module": ids["module"], "title": "Scrap"}
    )["id"]
    ids["module_to_delete"] = api.ok(
        "owner", "post", f"{base}/modules/", {"title": "Scrap module"}
    )["id"]
    api.ok("owner", "post", f"{base}/publish/")
    for role in ("student", "other_student", "dropper"):
        api.ok(role, "post", f"{base}/enroll/")
    ids["enrollment"] = api.ok("student", "get", "/api/v1/enrollments/")[0]["id"]
    ids["dropper_enrollment"] = api.ok("dropper", "get", "/api/v1/enrollments/")[0]["id"]
    ids["locked_user"] = api.user("locked").pk
    ids["promotee"] = api.user("promotee").pk
    staff = api.ok("owner", "get", f"{base}/staff/")
    ids["staff_ta"] = next(row["id"] for row in staff if row["role"] == "ta")
    ids["staff_instructor"] = next(row["id"] for row in staff if row["role"] == "instructor")

    # Quizzes: a bank with a true/false and an essay question, a published quiz.
    bank = api.ok("owner", "post", f"{base}/question-banks/", {"title": "Bank"})["id"]
    ids["bank"] = bank
    ids["bank_to_delete"] = api.ok("owner", "post", f"{base}/question-banks/", {"title": "B2"})[
        "id"
    ]
    questions = {}
    for kind, key in (("true_false", {"correct": True}), ("essay", {"guidance": "Be clear."})):
        questions[kind] = api.ok(
            "owner",
            "post",
            f"/api/v1/question-banks/{bank}/questions/",
            {"kind": kind, "prompt": f"A {kind} question?", "key": key, "points": "2"},
        )["id"]
    ids["question"] = questions["true_false"]
    ids["question_to_delete"] = api.ok(
        "owner",
        "post",
        f"/api/v1/question-banks/{bank}/questions/",
        {"kind": "true_false", "prompt": "Scrap?", "key": {"correct": False}},
    )["id"]
    quiz = api.ok(
        "owner",
        "post",
        f"{base}/quizzes/",
        {"title": "Quiz", "lesson": lessons["quiz"], "max_attempts": 3},
    )["id"]
    ids["quiz"] = quiz
    for kind in ("true_false", "essay"):
        api.ok("owner", "post", f"/api/v1/quizzes/{quiz}/items/", {"question": questions[kind]})
    api.ok("owner", "patch", f"/api/v1/quizzes/{quiz}/", {"published": True})
    ids["quiz_to_delete"] = api.ok("owner", "post", f"{base}/quizzes/", {"title": "Scrap quiz"})[
        "id"
    ]
    ids["quiz_for_items"] = api.ok("owner", "post", f"{base}/quizzes/", {"title": "Items"})["id"]
    scrap_question = api.ok(
        "owner",
        "post",
        f"/api/v1/question-banks/{bank}/questions/",
        {"kind": "true_false", "prompt": "Scrap item?", "key": {"correct": True}},
    )["id"]
    ids["quiz_item_to_delete"] = api.ok(
        "owner",
        "post",
        f"/api/v1/quizzes/{ids['quiz_for_items']}/items/",
        {"question": scrap_question},
    )["id"]

    # A submitted attempt with an essay to grade (student), an open one (other_student).
    attempt = api.ok("student", "post", f"/api/v1/quizzes/{quiz}/attempts/")
    ids["submitted_attempt"] = attempt["id"]
    api.ok(
        "student",
        "put",
        f"/api/v1/attempts/{attempt['id']}/answers/",
        {"answers": _answers(attempt, {"true_false": {"value": True}, "essay": {"text": "E."}})},
    )
    api.ok("student", "post", f"/api/v1/attempts/{attempt['id']}/submit/")
    queue = api.ok("owner", "get", f"/api/v1/quizzes/{quiz}/grading-queue/")
    ids["essay_answer"] = queue[0]["answer_id"]
    ids["open_attempt"] = api.ok("other_student", "post", f"/api/v1/quizzes/{quiz}/attempts/")
    world.secrets["open_attempt"] = ids["open_attempt"]
    ids["open_attempt"] = ids["open_attempt"]["id"]

    # Assignments and the gradebook.
    category = api.ok(
        "owner", "post", f"{base}/gradebook/categories/", {"name": "Homework", "weight": "50"}
    )["id"]
    ids["grade_category"] = category
    ids["grade_category_to_delete"] = api.ok(
        "owner", "post", f"{base}/gradebook/categories/", {"name": "Scrap", "weight": "0"}
    )["id"]
    assignment = api.ok(
        "owner",
        "post",
        f"{base}/assignments/",
        {
            "title": "Essay",
            "lesson": lessons["assignment"],
            "allow_text": True,
            "points_possible": "10",
            "category": category,
            "is_published": True,
        },
    )["id"]
    ids["assignment"] = assignment
    ids["assignment_to_delete"] = api.ok(
        "owner", "post", f"{base}/assignments/", {"title": "Scrap", "allow_text": True}
    )["id"]
    ids["submission"] = api.ok(
        "student",
        "post",
        f"/api/v1/assignments/{assignment}/submissions/",
        {"text": "My essay."},
        fmt="multipart",
    )["id"]
    ids["grade_item"] = api.ok(
        "owner",
        "post",
        f"{base}/gradebook/items/",
        {"title": "Participation", "points_possible": "5", "category": category},
    )["id"]

    # MFA: one user mid-setup (setup/confirm), one enrolled (login with MFA, codes, disable).
    world.secrets["mfa_login_codes"] = _mfa_enable(api, "mfa_login")
    world.secrets["mfa_disable_codes"] = _mfa_enable(api, "mfa_disable")
    world.secrets["reset_uid"] = uid_encode(api.user("password_resetter"))
    world.secrets["reset_token"] = password_reset_token.make_token(api.user("password_resetter"))
    world.secrets["verify_token"] = email_verification_token_make(api.user("unverified"))
    login = api.ok(
        "anonymous",
        "post",
        "/api/v1/auth/login/",
        {"email": api.user("logout_user").email, "password": TEST_PASSWORD},
    )
    world.secrets["refresh"] = login["refresh"]
    login = api.ok(
        "anonymous",
        "post",
        "/api/v1/auth/login/",
        {"email": api.user("logout_user").email, "password": TEST_PASSWORD},
    )
    world.secrets["refresh_to_logout"] = login["refresh"]

    # A course to archive, one to delete (draft), one to duplicate, one paid.
    ids["course_to_archive"] = _published(api, "Archive me")
    ids["course_to_delete"] = _course(api, "owner", "Delete me")["slug"]
    ids["draft_course"] = _course(api, "owner", "Publish me")["slug"]
    ids["paid_course"] = _published(api, "Paid course", price_amount=4900, currency="USD")
    if pay is not None:
        ids["order"] = pay(api.user("student"), ids["paid_course"])
    return world


def _published(api: Api, title: str, **fields: Any) -> str:
    slug = _course(api, "owner", title, **fields)["slug"]
    api.ok("owner", "post", f"/api/v1/courses/{slug}/publish/")
    return str(slug)


def _answers(attempt: dict[str, Any], by_kind: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"answer_id": question["answer_id"], "response": by_kind[question["kind"]]}
        for question in attempt["questions"]
    ]


def _mfa_enable(api: Api, role: str) -> list[str]:
    secret = api.ok(role, "post", "/api/v1/auth/mfa/setup/", {})["secret"]
    codes = api.ok(role, "post", "/api/v1/auth/mfa/confirm/", {"code": pyotp.TOTP(secret).now()})
    return list(codes["recovery_codes"])


# --- the catalogue ------------------------------------------------------------------------


@dataclass
class Call:
    """One call of an operation: as `role`, on `path`, with `body` (None: no body)."""

    method: str
    template: str
    role: str
    path: str
    body: Any = None
    fmt: str = "json"
    expect: tuple[int, ...] = (200, 201, 202, 204)


def operations(world: World) -> list[Call]:
    w = world.ids
    s = world.secrets
    c = w["course"]
    calls: list[Call] = []

    def add(method: str, template: str, role: str, body: Any = None, **kw: Any) -> None:
        path = kw.pop("path", None) or template.format(**kw.pop("params", {}))
        calls.append(Call(method, template, role, path, body, **kw))

    # accounts
    add(
        "post",
        "/api/v1/auth/register/",
        "anonymous",
        {"email": "new.person@example.test", "password": "a-Long-enough-pass-2026"},
    )
    add(
        "post",
        "/api/v1/auth/login/",
        "anonymous",
        {"email": world.cast.student.email, "password": TEST_PASSWORD},
    )
    add(
        "post",
        "/api/v1/auth/login/mfa/",
        "anonymous",
        body=lambda api: {"mfa_token": _mfa_token(api), "code": s["mfa_login_codes"][0]},
    )
    add("post", "/api/v1/auth/refresh/", "anonymous", {"refresh": s["refresh"]})
    add("post", "/api/v1/auth/logout/", "logout_user", {"refresh": s["refresh_to_logout"]})
    add("post", "/api/v1/auth/logout-all/", "logout_all_user")
    add("post", "/api/v1/auth/email/verify/", "anonymous", {"token": s["verify_token"]})
    add("post", "/api/v1/auth/email/resend/", "anonymous", {"email": "nobody@example.test"})
    add("post", "/api/v1/auth/password/reset/", "anonymous", {"email": world.cast.student.email})
    add(
        "post",
        "/api/v1/auth/password/reset/confirm/",
        "anonymous",
        {"uid": s["reset_uid"], "token": s["reset_token"], "new_password": "An0ther-long-pass!"},
    )
    add(
        "post",
        "/api/v1/auth/password/change/",
        "password_changer",
        {"old_password": TEST_PASSWORD, "new_password": "Brand-new-pass-2026"},
    )
    add("post", "/api/v1/auth/mfa/setup/", "mfa_user", {})
    add(
        "post",
        "/api/v1/auth/mfa/confirm/",
        "mfa_user",
        body=lambda api: {"code": _mfa_setup_code(api)},
    )
    add("post", "/api/v1/auth/mfa/recovery-codes/", "mfa_login", {"code": s["mfa_login_codes"][1]})
    add("get", "/api/v1/auth/mfa/recovery-codes/", "mfa_login")
    add(
        "post",
        "/api/v1/auth/mfa/disable/",
        "mfa_disable",
        {"password": TEST_PASSWORD, "code": s["mfa_disable_codes"][0]},
    )
    add("post", "/api/v1/auth/ws-ticket/", "student")
    add("get", "/api/v1/users/", "admin")
    add("post", "/api/v1/users/", "admin", {"email": "invited@example.test", "role": "instructor"})
    add("get", "/api/v1/users/me/", "student")
    add("patch", "/api/v1/users/me/", "student", {"first_name": "Ada"})
    add("get", "/api/v1/users/{id}/", "admin", params={"id": world.cast.student.pk})
    add(
        "patch",
        "/api/v1/users/{id}/",
        "admin",
        {"role": "instructor"},
        params={"id": w["promotee"]},
    )
    add("post", "/api/v1/users/{id}/unlock/", "admin", params={"id": w["locked_user"]})
    # courses
    add("get", "/api/v1/categories/", "anonymous")
    add("post", "/api/v1/categories/", "admin", {"name": "Mathematics"})
    add("get", "/api/v1/categories/{slug}/", "anonymous", params={"slug": w["category"]})
    add(
        "patch",
        "/api/v1/categories/{slug}/",
        "admin",
        {"name": "Natural science"},
        params={"slug": w["category"]},
    )
    add("delete", "/api/v1/categories/{slug}/", "admin", params={"slug": w["category_to_delete"]})
    add("get", "/api/v1/tags/", "anonymous")
    add("post", "/api/v1/tags/", "admin", {"name": "Chemistry"})
    add("get", "/api/v1/tags/{slug}/", "anonymous", params={"slug": w["tag"]})
    add("patch", "/api/v1/tags/{slug}/", "admin", {"name": "Physics!"}, params={"slug": w["tag"]})
    add("delete", "/api/v1/tags/{slug}/", "admin", params={"slug": w["tag_to_delete"]})
    add("get", "/api/v1/courses/", "anonymous")
    add("post", "/api/v1/courses/", "instructor", {"title": "Brand new course"})
    add("get", "/api/v1/courses/{slug}/", "anonymous", params={"slug": c})
    add("patch", "/api/v1/courses/{slug}/", "owner", {"subtitle": "Now better"}, params={"slug": c})
    add("delete", "/api/v1/courses/{slug}/", "owner", params={"slug": w["course_to_delete"]})
    add("get", "/api/v1/courses/{slug}/outline/", "student", params={"slug": c})
    add(
        "post",
        "/api/v1/courses/{slug}/outline/reorder/",
        "owner",
        body=lambda api: _outline_reversed(api, c),
        params={"slug": c},
    )
    add("post", "/api/v1/courses/{slug}/publish/", "owner", params={"slug": w["draft_course"]})
    add("post", "/api/v1/courses/{slug}/archive/", "owner", params={"slug": w["course_to_archive"]})
    add("post", "/api/v1/courses/{slug}/duplicate/", "owner", {"title": "Copy"}, params={"slug": c})
    add("get", "/api/v1/courses/{course_slug}/staff/", "owner", params={"course_slug": c})
    add(
        "post",
        "/api/v1/courses/{course_slug}/staff/",
        "owner",
        body=lambda api: {"email": api.user("new_staff").email, "role": "instructor"},
        params={"course_slug": c},
    )
    add(
        "patch",
        "/api/v1/courses/{course_slug}/staff/{id}/",
        "owner",
        {"role": "ta"},
        params={"course_slug": c, "id": w["staff_instructor"]},
    )
    add(
        "delete",
        "/api/v1/courses/{course_slug}/staff/{id}/",
        "owner",
        params={"course_slug": c, "id": w["staff_ta"]},
    )
    add("get", "/api/v1/courses/{course_slug}/modules/", "student", params={"course_slug": c})
    add(
        "post",
        "/api/v1/courses/{course_slug}/modules/",
        "owner",
        {"title": "Module two"},
        params={"course_slug": c},
    )
    add(
        "get",
        "/api/v1/courses/{course_slug}/modules/{id}/",
        "student",
        params={"course_slug": c, "id": w["module"]},
    )
    add(
        "patch",
        "/api/v1/courses/{course_slug}/modules/{id}/",
        "owner",
        {"title": "Module 1"},
        params={"course_slug": c, "id": w["module"]},
    )
    add(
        "delete",
        "/api/v1/courses/{course_slug}/modules/{id}/",
        "owner",
        params={"course_slug": c, "id": w["module_to_delete"]},
    )
    add(
        "post",
        "/api/v1/courses/{course_slug}/modules/{id}/reorder/",
        "owner",
        {"position": 0},
        params={"course_slug": c, "id": w["module"]},
    )
    add("get", "/api/v1/courses/{course_slug}/lessons/", "student", params={"course_slug": c})
    add(
        "post",
        "/api/v1/courses/{course_slug}/lessons/",
        "owner",
        {"module": w["module"], "title": "New lesson", "kind": "text", "body": "Hi."},
        params={"course_slug": c},
    )
    add(
        "get",
        "/api/v1/courses/{course_slug}/lessons/{id}/",
        "student",
        params={"course_slug": c, "id": w["lesson"]},
    )
    add(
        "patch",
        "/api/v1/courses/{course_slug}/lessons/{id}/",
        "owner",
        {"title": "Reading 1"},
        params={"course_slug": c, "id": w["lesson"]},
    )
    add(
        "delete",
        "/api/v1/courses/{course_slug}/lessons/{id}/",
        "owner",
        params={"course_slug": c, "id": w["lesson_to_delete"]},
    )
    add(
        "post",
        "/api/v1/courses/{course_slug}/lessons/{id}/reorder/",
        "owner",
        {"position": 0},
        params={"course_slug": c, "id": w["lesson"]},
    )
    # enrollments
    add("post", "/api/v1/courses/{course_slug}/enroll/", "outsider", params={"course_slug": c})
    add("get", "/api/v1/courses/{course_slug}/enrollments/", "owner", params={"course_slug": c})
    add(
        "post",
        "/api/v1/courses/{course_slug}/enrollments/",
        "owner",
        body=lambda api: {"email": api.user("bulk_learner").email},
        params={"course_slug": c},
    )
    add(
        "post",
        "/api/v1/courses/{course_slug}/enrollments/bulk/",
        "owner",
        fmt="multipart",
        body=lambda api: {"file": _csv(f"email\n{api.cast.admin.email}\n")},
        params={"course_slug": c},
    )
    add("get", "/api/v1/enrollments/", "student")
    add("get", "/api/v1/enrollments/{id}/", "student", params={"id": w["enrollment"]})
    add(
        "patch",
        "/api/v1/enrollments/{id}/accommodations/",
        "owner",
        {"extra_attempts": 1},
        params={"id": w["enrollment"]},
    )
    add("post", "/api/v1/enrollments/{id}/drop/", "dropper", params={"id": w["dropper_enrollment"]})
    add("get", "/api/v1/lessons/{id}/", "student", params={"id": w["lesson"]})
    add("post", "/api/v1/lessons/{id}/complete/", "student", params={"id": w["lesson"]})
    add(
        "post",
        "/api/v1/lessons/{id}/progress/",
        "student",
        {"position_seconds": 30, "duration_seconds": 600},
        params={"id": w["video_lesson"]},
    )
    # quizzes
    q, bank = w["quiz"], w["bank"]
    add("get", "/api/v1/courses/{course_slug}/question-banks/", "owner", params={"course_slug": c})
    add(
        "post",
        "/api/v1/courses/{course_slug}/question-banks/",
        "owner",
        {"title": "Bank 3"},
        params={"course_slug": c},
    )
    add("get", "/api/v1/question-banks/{id}/", "owner", params={"id": bank})
    add(
        "patch", "/api/v1/question-banks/{id}/", "owner", {"title": "Bank one"}, params={"id": bank}
    )
    add("delete", "/api/v1/question-banks/{id}/", "owner", params={"id": w["bank_to_delete"]})
    add("get", "/api/v1/question-banks/{id}/questions/", "owner", params={"id": bank})
    add(
        "post",
        "/api/v1/question-banks/{id}/questions/",
        "owner",
        {"kind": "true_false", "prompt": "Sky is blue?", "key": {"correct": True}},
        params={"id": bank},
    )
    add("get", "/api/v1/questions/{id}/", "owner", params={"id": w["question"]})
    add(
        "patch",
        "/api/v1/questions/{id}/",
        "owner",
        {"prompt": "Is it true?"},
        params={"id": w["question"]},
    )
    add("delete", "/api/v1/questions/{id}/", "owner", params={"id": w["question_to_delete"]})
    add("get", "/api/v1/courses/{course_slug}/quizzes/", "student", params={"course_slug": c})
    add(
        "post",
        "/api/v1/courses/{course_slug}/quizzes/",
        "owner",
        {"title": "Quiz two"},
        params={"course_slug": c},
    )
    add("get", "/api/v1/quizzes/{id}/", "student", params={"id": q})
    add("patch", "/api/v1/quizzes/{id}/", "owner", {"instructions": "Go."}, params={"id": q})
    add("delete", "/api/v1/quizzes/{id}/", "owner", params={"id": w["quiz_to_delete"]})
    add(
        "post",
        "/api/v1/quizzes/{id}/items/",
        "owner",
        body=lambda api: {"question": _fresh_question(api, bank)},
        params={"id": w["quiz_for_items"]},
    )
    add("delete", "/api/v1/quiz-items/{id}/", "owner", params={"id": w["quiz_item_to_delete"]})
    add("get", "/api/v1/quizzes/{id}/attempts/", "student", params={"id": q})
    add("post", "/api/v1/quizzes/{id}/attempts/", "student", params={"id": q})
    add("get", "/api/v1/quizzes/{id}/grading-queue/", "owner", params={"id": q})
    add("get", "/api/v1/quizzes/{id}/statistics/", "owner", params={"id": q})
    add("get", "/api/v1/attempts/{id}/", "other_student", params={"id": w["open_attempt"]})
    add(
        "put",
        "/api/v1/attempts/{id}/answers/",
        "other_student",
        {
            "answers": _answers(
                world.secrets["open_attempt"],
                {"true_false": {"value": False}, "essay": {"text": "Mine."}},
            )
        },
        params={"id": w["open_attempt"]},
    )
    add("post", "/api/v1/attempts/{id}/submit/", "other_student", params={"id": w["open_attempt"]})
    add(
        "post",
        "/api/v1/attempt-answers/{id}/grade/",
        "owner",
        {"points": "0.5"},
        params={"id": w["essay_answer"]},
    )
    # assignments and the gradebook
    a, sub = w["assignment"], w["submission"]
    add("get", "/api/v1/courses/{course_slug}/assignments/", "student", params={"course_slug": c})
    add(
        "post",
        "/api/v1/courses/{course_slug}/assignments/",
        "owner",
        {"title": "Lab report", "allow_text": True},
        params={"course_slug": c},
    )
    add("get", "/api/v1/assignments/{id}/", "student", params={"id": a})
    add("patch", "/api/v1/assignments/{id}/", "owner", {"instructions": "Write."}, params={"id": a})
    add("delete", "/api/v1/assignments/{id}/", "owner", params={"id": w["assignment_to_delete"]})
    add(
        "post",
        "/api/v1/assignments/{id}/extensions/",
        "owner",
        {"user": world.cast.student.pk, "extra_days": 2},
        params={"id": a},
    )
    add("post", "/api/v1/assignments/{id}/release/", "owner", {}, params={"id": a})
    add("get", "/api/v1/assignments/{id}/submissions/", "owner", params={"id": a})
    add(
        "post",
        "/api/v1/assignments/{id}/submissions/",
        "other_student",
        {"text": "Mine."},
        fmt="multipart",
        params={"id": a},
    )
    add("get", "/api/v1/submissions/{id}/", "student", params={"id": sub})
    add("post", "/api/v1/submissions/{id}/grade/", "owner", {"points": "8"}, params={"id": sub})
    add("get", "/api/v1/submissions/{id}/grades/", "owner", params={"id": sub})
    add(
        "get",
        "/api/v1/submissions/{id}/files/{file_id}/",
        "student",
        params={"id": sub, "file_id": MISSING_ID},
        expect=(404,),
    )
    add(
        "get",
        "/api/v1/submissions/{id}/feedback-file/",
        "student",
        params={"id": sub},
        expect=(404,),
    )
    add("get", "/api/v1/courses/{course_slug}/gradebook/", "owner", params={"course_slug": c})
    add(
        "get", "/api/v1/courses/{course_slug}/gradebook/export/", "owner", params={"course_slug": c}
    )
    add("get", "/api/v1/courses/{course_slug}/gradebook/me/", "student", params={"course_slug": c})
    add(
        "get",
        "/api/v1/courses/{course_slug}/gradebook/me/explain/",
        "student",
        params={"course_slug": c},
    )
    add(
        "get",
        "/api/v1/courses/{course_slug}/gradebook/learners/{user_id}/explain/",
        "owner",
        params={"course_slug": c, "user_id": world.cast.student.pk},
    )
    add(
        "get",
        "/api/v1/courses/{course_slug}/gradebook/categories/",
        "owner",
        params={"course_slug": c},
    )
    add(
        "post",
        "/api/v1/courses/{course_slug}/gradebook/categories/",
        "owner",
        {"name": "Exams", "weight": "50"},
        params={"course_slug": c},
    )
    add(
        "patch",
        "/api/v1/courses/{course_slug}/gradebook/categories/{id}/",
        "owner",
        {"drop_lowest": 0},
        params={"course_slug": c, "id": w["grade_category"]},
    )
    add(
        "delete",
        "/api/v1/courses/{course_slug}/gradebook/categories/{id}/",
        "owner",
        params={"course_slug": c, "id": w["grade_category_to_delete"]},
    )
    add("get", "/api/v1/courses/{course_slug}/gradebook/items/", "owner", params={"course_slug": c})
    add(
        "post",
        "/api/v1/courses/{course_slug}/gradebook/items/",
        "owner",
        {"title": "Bonus", "points_possible": "2", "category": w["grade_category"]},
        params={"course_slug": c},
    )
    add(
        "post",
        "/api/v1/courses/{course_slug}/gradebook/scores/",
        "owner",
        {"item": w["grade_item"], "user": world.cast.student.pk, "points": "4"},
        params={"course_slug": c},
    )
    add(
        "post",
        "/api/v1/courses/{course_slug}/gradebook/import/",
        "owner",
        fmt="multipart",
        body=lambda api: {
            "item": w["grade_item"],
            "file": _csv(f"email,points\n{api.cast.other_student.email},3\n"),
        },
        params={"course_slug": c},
    )
    add(
        "put",
        "/api/v1/courses/{course_slug}/gradebook/scheme/",
        "owner",
        {"scheme": [["A", "90"], ["B", "80"], ["C", "70"], ["F", "0"]]},
        params={"course_slug": c},
    )
    # payments
    add("get", "/api/v1/orders/", "student")
    add("get", "/api/v1/orders/{id}/", "student", params={"id": w["order"]})
    add(
        "post",
        "/api/v1/orders/{id}/refund/",
        "admin",
        {"reason": "requested_by_customer"},
        params={"id": w["order"]},
    )
    add("get", "/api/v1/payments/revenue/", "owner")
    add(
        "post",
        "/api/v1/courses/{course_slug}/checkout/",
        "other_student",
        {},
        params={"course_slug": w["paid_course"]},
    )
    add("post", "/api/v1/payments/intents/", "outsider", {"course": w["paid_course"]})
    add("post", "/api/v1/payments/stripe/webhook/", "anonymous", body=lambda api: _webhook(world))
    return calls


def _webhook(world: World) -> Raw:
    """A signed event Stripe would send; `charge.updated` is accepted and recorded."""
    payload, header = signed(event("charge.updated", {"id": "ch_contract", "object": "charge"}))
    return Raw(payload, {"Stripe-Signature": header})


def _outline_reversed(api: Api, slug: str) -> dict[str, Any]:
    """The course's whole order as it is when the call is made, modules reversed."""
    outline = api.ok("owner", "get", f"/api/v1/courses/{slug}/outline/")
    modules = [
        {"id": module["id"], "lessons": [lesson["id"] for lesson in module["lessons"]]}
        for module in reversed(outline["modules"])
    ]
    return {"modules": modules}


def _mfa_token(api: Api) -> str:
    response = api.call(
        "anonymous",
        "post",
        "/api/v1/auth/login/",
        {"email": api.user("mfa_login").email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return str(response.json()["data"]["mfa_token"])


def _mfa_setup_code(api: Api) -> str:
    secret = api.ok("mfa_user", "post", "/api/v1/auth/mfa/setup/", {})["secret"]
    return pyotp.TOTP(secret).now()


def _fresh_question(api: Api, bank: int) -> int:
    return int(
        api.ok(
            "owner",
            "post",
            f"/api/v1/question-banks/{bank}/questions/",
            {"kind": "true_false", "prompt": "Fresh?", "key": {"correct": True}},
        )["id"]
    )


__all__ = ["MISSING_ID", "MISSING_SLUG", "Api", "Call", "World", "build_world", "cast_create"]
