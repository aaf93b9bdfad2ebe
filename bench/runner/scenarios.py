"""The scenarios: each real endpoint as built (real permissions, envelope, cache) and the
requests for it and for its baselines, built from the seeded bench data.

Runs inside the runner after django.setup(). A twin of `/api/v1/<rest>` answers at
`/bench/raw/<rest>` and `/bench/naive/<rest>` (bench/urls.py) with the same method, query
and headers, so the twins' request lists are the real ones with the prefix swapped; only
the write scenario gives each variant its own (enrollment, lesson) pairs, since a lesson
completes once.
"""

import base64
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import stripe
from django.db import connection

from accounts.models import User
from accounts.services.sessions import session_start
from bench.runner.server import BENCH_STRIPE_WEBHOOK_SECRET
from bench.runner.wrk import Request
from bench.seed import BENCH_PASSWORD, TOPICS

API = "/api/v1/"
RNG_SEED = 7


@dataclass
class Scenario:
    name: str
    title: str
    build: Callable[[str], list[Request]]  # variant -> requests
    variants: tuple[str, ...] = ("real", "raw", "naive")
    kind: str = "read"  # read | write | login | floor
    cached: bool = False  # a cached read: compared with floor
    page_size_param: bool = False  # a list: queries are checked for two page sizes


def twin_path(path: str, variant: str) -> str:
    if variant in ("real", "floor", "bcrypt"):
        return path
    if not path.startswith(API):
        raise ValueError(f"not an API path: {path}")
    return f"/bench/{variant}/{path.removeprefix(API)}"


def _rows(query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])
        return list(cursor.fetchall())


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tokens_for(user_ids: list[int]) -> dict[int, str]:
    """A fresh login session and access token per user (valid 15 minutes)."""
    users = User.objects.in_bulk(user_ids)
    return {uid: session_start(user=users[uid], kind="bearer").access for uid in user_ids}


def drf_cursor(position: int) -> str:
    """DRF CursorPagination's cursor for "the rows after `position`" (offset 0, forward)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode("ascii")).decode("ascii")


@dataclass
class Dataset:
    """What the scenarios ask for, read once from the seeded database."""

    learners: int  # distinct learners per authenticated read scenario
    write_enrollments: int  # enrollments per variant for lesson complete
    published_slugs: list[str] = field(default_factory=list)
    searches: list[tuple[str, str]] = field(default_factory=list)  # (category slug, term)
    seats: list[tuple[int, str, int]] = field(default_factory=list)  # (user, slug, lesson id)
    hot: list[tuple[str, int, int]] = field(default_factory=list)  # (slug, owner, deep pos)
    login_emails: list[str] = field(default_factory=list)
    used_enrollments: set[int] = field(default_factory=set)
    order_learners: list[int] = field(default_factory=list)  # learners with paid orders
    revenue_owners: list[int] = field(default_factory=list)  # owners of the most-sold courses
    paid_events: list[str] = field(default_factory=list)  # processed session events (JSON)

    def load(self) -> "Dataset":
        self.published_slugs = [
            str(r[0])
            for r in _rows(
                "SELECT slug FROM courses_course WHERE status = 'published' ORDER BY id LIMIT 100"
            )
        ]
        for topic in TOPICS:
            row = _rows(
                "SELECT cat.slug FROM courses_course c JOIN courses_category cat"
                " ON cat.id = c.category_id WHERE c.status = 'published'"
                " AND c.title ILIKE %s ORDER BY c.id LIMIT 1",
                [f"%{topic}%"],
            )
            if row:
                self.searches.append((str(row[0][0]), topic.split()[0]))
        # Seated learners spread over courses: every k-th active enrollment.
        total = _rows("SELECT count(*) FROM enrollments_enrollment WHERE status = 'active'")[0][0]
        step = max(1, int(total) // (self.learners * 2))
        self.seats = [
            (int(r[0]), str(r[1]), int(r[2]))
            for r in _rows(
                "SELECT e.user_id, c.slug, (SELECT l.id FROM courses_lesson l"
                "   JOIN courses_module m ON m.id = l.module_id WHERE m.course_id = c.id"
                "   ORDER BY m.position, l.position OFFSET 2 LIMIT 1)"
                " FROM enrollments_enrollment e JOIN courses_course c ON c.id = e.course_id"
                " WHERE e.status = 'active' AND c.status = 'published' AND e.id %% %s = 0"
                " ORDER BY e.id LIMIT %s",
                [step, self.learners],
            )
        ]
        # The hot courses, their owner, and the enrollment id 40 rows before the end of
        # the roster (newest first): the cursor of a deep page.
        for slug, course_id, owner in _rows(
            "SELECT c.slug, c.id, s.user_id FROM courses_course c JOIN courses_coursestaff s"
            " ON s.course_id = c.id AND s.role = 'owner' WHERE c.status = 'published'"
            " ORDER BY c.enrollment_count DESC, c.id LIMIT 3"
        ):
            count = _rows(
                "SELECT count(*) FROM enrollments_enrollment WHERE course_id = %s", [course_id]
            )[0][0]
            deep = _rows(
                "SELECT id FROM enrollments_enrollment WHERE course_id = %s"
                " ORDER BY id DESC OFFSET %s LIMIT 1",
                [course_id, max(0, int(count) - 40)],
            )[0][0]
            self.hot.append((str(slug), int(owner), int(deep)))
        self.login_emails = [
            str(r[0])
            for r in _rows(
                "SELECT email FROM accounts_user WHERE role = 'student' ORDER BY id LIMIT 100"
            )
        ]
        self.load_payments()
        return self

    def load_payments(self) -> None:
        # Learners with paid orders, spread over the ids (every k-th).
        buyers = [
            int(r[0])
            for r in _rows(
                "SELECT DISTINCT user_id FROM payments_order WHERE status = 'paid' ORDER BY user_id"
            )
        ]
        self.order_learners = buyers[:: max(1, len(buyers) // self.learners)][: self.learners]
        # The owners whose courses sold the most (settled orders): 10 at full, 3 at smoke.
        self.revenue_owners = [
            int(r[0])
            for r in _rows(
                "SELECT s.user_id FROM payments_order o JOIN courses_coursestaff s"
                " ON s.course_id = o.course_id AND s.role = 'owner'"
                " WHERE o.status IN ('paid', 'partially_refunded', 'refunded')"
                " GROUP BY s.user_id ORDER BY count(*) DESC, s.user_id LIMIT %s",
                [max(3, self.learners // 20)],
            )
        ]
        # checkout.session.completed events of paid orders, already processed (seeded).
        total = _rows("SELECT count(*) FROM payments_order WHERE status = 'paid'")[0][0]
        step = max(1, int(total) // self.learners)
        self.paid_events = [
            str(r[0])
            for r in _rows(
                "SELECT e.payload::text FROM payments_stripeevent e"
                " JOIN payments_order o ON o.id = e.order_id"
                " WHERE e.type = 'checkout.session.completed' AND o.status = 'paid'"
                " AND o.id %% %s = 0 ORDER BY o.id LIMIT %s",
                [step, self.learners],
            )
        ]

    def fresh_completion_pairs(self) -> list[tuple[int, int]]:
        """(user id, lesson id) pairs never completed: active enrollments with no
        completion yet, not used by another variant, lessons the learner completes by
        request (text, file, link: a video completes by watching, a quiz or assignment
        through its activity, docs/decisions/0014-completion-rules.md) in course order,
        interleaved so that consecutive requests touch different enrollments."""
        rows = _rows(
            "SELECT e.id, e.user_id, e.course_id FROM enrollments_enrollment e"
            " JOIN courses_course c ON c.id = e.course_id"
            " WHERE e.status = 'active' AND c.status = 'published' AND e.completed_count = 0"
            " AND NOT EXISTS (SELECT 1 FROM enrollments_lessoncompletion lc"
            "   WHERE lc.enrollment_id = e.id)"
            " AND NOT (e.id = ANY(%s)) ORDER BY e.id LIMIT %s",
            [list(self.used_enrollments), self.write_enrollments],
        )
        self.used_enrollments.update(int(r[0]) for r in rows)
        course_ids = sorted({int(r[2]) for r in rows})
        lessons: dict[int, list[int]] = {}
        for course_id, lesson_id in _rows(
            "SELECT m.course_id, l.id FROM courses_lesson l JOIN courses_module m"
            " ON m.id = l.module_id WHERE m.course_id = ANY(%s)"
            " AND l.kind IN ('text', 'file', 'link') ORDER BY m.position, l.position",
            [course_ids],
        ):
            lessons.setdefault(int(course_id), []).append(int(lesson_id))
        depth = max((len(v) for v in lessons.values()), default=0)
        return [
            (int(user_id), lessons[int(course_id)][i])
            for i in range(depth)
            for _, user_id, course_id in rows
            if i < len(lessons[int(course_id)])
        ]


def build_scenarios(data: Dataset) -> list[Scenario]:
    json_headers = {"Content-Type": "application/json"}

    def get(path: str, variant: str, headers: dict[str, str] | None = None) -> Request:
        return Request("GET", twin_path(path, variant), headers or {})

    def learner_gets(
        path_for: Callable[[tuple[int, str, int]], str],
    ) -> Callable[[str], list[Request]]:
        def build(variant: str) -> list[Request]:
            tokens = tokens_for(sorted({seat[0] for seat in data.seats}))
            return [get(path_for(seat), variant, _bearer(tokens[seat[0]])) for seat in data.seats]

        return build

    def roster(deep: bool) -> Callable[[str], list[Request]]:
        def build(variant: str) -> list[Request]:
            tokens = tokens_for(sorted({owner for _, owner, _ in data.hot}))
            return [
                get(
                    f"{API}courses/{slug}/enrollments/"
                    + (f"?cursor={drf_cursor(position)}" if deep else ""),
                    variant,
                    _bearer(tokens[owner]),
                )
                for slug, owner, position in data.hot
            ]

        return build

    def lesson_complete(variant: str) -> list[Request]:
        pairs = data.fresh_completion_pairs()
        tokens = tokens_for(sorted({user for user, _ in pairs}))
        return [
            Request(
                "POST",
                twin_path(f"{API}lessons/{lesson}/complete/", variant),
                {**_bearer(tokens[user]), **json_headers},
                "{}",
            )
            for user, lesson in pairs
        ]

    def login(variant: str) -> list[Request]:
        if variant == "bcrypt":
            body = json.dumps({"password": BENCH_PASSWORD})
            return [Request("POST", "/bench/bcrypt/", json_headers, body)]
        return [
            Request(
                "POST",
                f"{API}auth/login/",
                json_headers,
                json.dumps({"email": email, "password": BENCH_PASSWORD, "mode": "bearer"}),
            )
            for email in data.login_emails
        ]

    def users_get(path: str, users: list[int]) -> Callable[[str], list[Request]]:
        def build(variant: str) -> list[Request]:
            tokens = tokens_for(sorted(set(users)))
            return [get(path, variant, _bearer(tokens[user])) for user in users]

        return build

    def webhook_replay(variant: str) -> list[Request]:
        """Stripe redelivering events we already processed: each body signed now (the
        server refuses a timestamp older than STRIPE_WEBHOOK_TOLERANCE, 300 s, so a run
        must end within it) with the secret bench/run gives the server."""
        now = int(time.time())
        return [
            Request(
                "POST",
                f"{API}payments/stripe/webhook/",
                {
                    **json_headers,
                    "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
                        body, BENCH_STRIPE_WEBHOOK_SECRET, timestamp=now
                    ),
                },
                body,
            )
            for body in data.paid_events
        ]

    searches = [
        f"{API}courses/?{urlencode({'category': category, 'search': term})}"
        for category, term in data.searches
    ]
    scenarios = [
        Scenario("floor", "floor", lambda v: [get("/bench/floor/", v)], ("floor",), "floor"),
        Scenario(
            "catalogue", "catalogue page 1", lambda v: [get(f"{API}courses/", v)],
            cached=True, page_size_param=True,
        ),
        Scenario(
            "catalogue_search", "catalogue, category + search",
            lambda v: [get(path, v) for path in searches], page_size_param=True,
        ),
        Scenario(
            "course_detail", "course detail",
            lambda v: [get(f"{API}courses/{slug}/", v) for slug in data.published_slugs],
            cached=True,
        ),
        Scenario(
            "outline_structure", "course outline (anonymous: structure)",
            lambda v: [get(f"{API}courses/{slug}/outline/", v) for slug in data.published_slugs],
            variants=("real",), cached=True,
        ),
        Scenario(
            "outline", "course outline with the learner's state",
            learner_gets(lambda seat: f"{API}courses/{seat[1]}/outline/"),
        ),
        Scenario(
            "my_enrollments", "my enrollments", learner_gets(lambda seat: f"{API}enrollments/"),
            page_size_param=True,
        ),
        Scenario(
            "lesson_access", "lesson access (content)",
            learner_gets(lambda seat: f"{API}lessons/{seat[2]}/"),
        ),
        Scenario("lesson_complete", "lesson complete (write)", lesson_complete, kind="write"),
        Scenario("roster_page1", "roster page 1", roster(False), page_size_param=True),
        Scenario("roster_deep", "roster deep page", roster(True), page_size_param=True),
        Scenario("login", "token login", login, ("real", "bcrypt"), kind="login"),
        Scenario(
            "my_orders", "my orders", users_get(f"{API}orders/", data.order_learners),
            variants=("real",), page_size_param=True,
        ),
        Scenario(
            "revenue", "an instructor's revenue",
            users_get(f"{API}payments/revenue/", data.revenue_owners), variants=("real",),
        ),
        # A duplicate changes nothing (the event's row exists): a read, repeatable at will.
        Scenario(
            "stripe_webhook_replay", "Stripe webhook, duplicate delivery", webhook_replay,
            variants=("real",),
        ),
    ]  # fmt: skip
    # The quizzes' and assignments' scenarios prepare their own data through the apps'
    # services (imported here: app_scenarios imports this module).
    from bench.runner.app_scenarios import app_scenarios
    from bench.runner.page_scenarios import page_scenarios

    return scenarios + app_scenarios(data) + page_scenarios(data)


MIXED = ("catalogue", "catalogue_search", "course_detail", "outline", "my_enrollments",
         "lesson_access", "roster_page1", "roster_deep")  # fmt: skip


def mixed_requests(scenarios: list[Scenario], per_scenario: int = 200) -> list[Request]:
    """The real read scenarios' requests, the same number of each, shuffled together."""
    requests: list[Request] = []
    for scenario in scenarios:
        if scenario.name in MIXED:
            own = scenario.build("real")
            requests += [own[i % len(own)] for i in range(per_scenario)]
    random.Random(RNG_SEED).shuffle(requests)
    return requests
