"""The benchmark dataset: users, courses, structure, enrollments, completions, rollups,
and the orders (with their Stripe events) of the paid courses.

Bulk-loaded with PostgreSQL COPY (psycopg 3) straight into the tables, never through the
ORM or the services: 5 million completions through `lesson_complete` would take hours.
The rollups the services keep (enrollment progress, course enrollment counters) are then
computed in SQL from the loaded rows, with the same rules as
`enrollments.services.progress` (floor percent over required lessons; active at 100 %
becomes completed; seated = active or completed).

Deterministic: one `random.Random(SEED)` drives every choice, ids start at 1 and the
timestamps derive from a fixed base date. Only the password hash differs between runs
(it is salted), and it is computed once and shared by every user.
"""

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

SEED = 42
BENCH_EMAIL_DOMAIN = "bench.test"
BENCH_PASSWORD = "bench-password"  # noqa: S105 (public, documented, bench data only)
COURSE_SLUG_PREFIX = "bench-course-"
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)

TOPICS = [
    "python",
    "django",
    "postgresql",
    "statistics",
    "machine learning",
    "web design",
    "accounting",
    "photography",
    "spanish",
    "project management",
    "linear algebra",
    "cloud security",
    "data visualisation",
    "public speaking",
    "music theory",
    "rust",
]
ADJECTIVES = ["Practical", "Modern", "Complete", "Applied", "Essential", "Advanced", "Hands-on"]
LEVELS = ["beginner", "intermediate", "advanced", "all"]
PRICES = [0, 0, 0, 1999, 4999, 9999]
CURRENCY = "USD"
# The orders draw from their own stream, so adding them left every other row unchanged.
PAYMENTS_SEED = SEED + 1
# Half the dropped learners of a paid course were refunded (after dropping).
REFUNDED_SHARE_OF_DROPPED = 0.5


class SeedRefused(Exception):
    """The target database cannot (or must not) receive the bench dataset."""


@dataclass(frozen=True)
class Scale:
    name: str
    users: int  # instructors included
    instructors: int
    courses: int
    published_ratio: float
    modules_per_course: int
    lessons_per_module: int
    enrollments: int
    hot_courses: int
    hot_min_learners: int
    completions: int
    categories: int
    # Open orders of learners who started paying and are not enrolled (PaymentIntents).
    pending_orders: int
    failed_orders: int

    @property
    def lessons_per_course(self) -> int:
        return self.modules_per_course * self.lessons_per_module

    @property
    def published(self) -> int:
        return round(self.courses * self.published_ratio)

    @property
    def students(self) -> int:
        return self.users - self.instructors


SCALES = {
    "full": Scale(
        name="full",
        users=100_000,
        instructors=500,
        courses=1_000,
        published_ratio=0.8,
        modules_per_course=4,
        lessons_per_module=5,
        enrollments=1_000_000,
        hot_courses=10,
        hot_min_learners=20_000,
        completions=5_000_000,
        categories=20,
        pending_orders=2_000,
        failed_orders=1_000,
    ),
    # 1/1000 of `full` where that still has the same shape. 100 users could not hold
    # 1,000 distinct (user, course) pairs skewed over 10 courses, so smoke keeps 1,000
    # enrollments and 5,000 completions but with 500 users and 20 courses (2 of them hot).
    "smoke": Scale(
        name="smoke",
        users=500,
        instructors=5,
        courses=20,
        published_ratio=0.8,
        modules_per_course=4,
        lessons_per_module=5,
        enrollments=1_000,
        hot_courses=2,
        hot_min_learners=200,
        completions=5_000,
        categories=4,
        pending_orders=10,
        failed_orders=5,
    ),
}

# Tables the seed owns. TRUNCATE ... CASCADE also empties every table pointing at them
# (sessions, orders, attempts, ...): the bench database holds the bench dataset only.
TRUNCATE_SQL = (
    "TRUNCATE accounts_user, courses_category, courses_tag, courses_course RESTART IDENTITY CASCADE"
)
SEQUENCE_TABLES = [
    "accounts_user",
    "courses_category",
    "courses_course",
    "courses_coursestaff",
    "courses_module",
    "courses_lesson",
    "enrollments_enrollment",
    "enrollments_lessoncompletion",
    "payments_order",
    "payments_stripeevent",
]

Log = Callable[[str], None]


def check_target(*, force: bool) -> None:
    """Refuses SQLite, and a database holding anything but bench data unless forced."""
    if connection.vendor != "postgresql":
        raise SeedRefused(
            f"seed_bench needs PostgreSQL (COPY); this database is {connection.vendor}. "
            "Set DATABASE_URL=postgres://..."
        )
    tables = connection.introspection.table_names()
    if "accounts_user" not in tables or "enrollments_lessoncompletion" not in tables:
        raise SeedRefused("The database has no LMS tables: run `manage.py migrate` first.")
    if force:
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM accounts_user WHERE email NOT LIKE %s",
            [f"%@{BENCH_EMAIL_DOMAIN}"],
        )
        foreign_users = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM courses_course WHERE slug NOT LIKE %s",
            [f"{COURSE_SLUG_PREFIX}%"],
        )
        foreign_courses = cur.fetchone()[0]
    if foreign_users or foreign_courses:
        raise SeedRefused(
            f"This database holds non-bench data ({foreign_users} users outside "
            f"@{BENCH_EMAIL_DOMAIN}, {foreign_courses} courses without the bench slug); "
            "seeding would erase it. Use a dedicated database, or --force."
        )


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    connection.ensure_connection()
    raw = connection.connection
    if raw is None:  # pragma: no cover - ensure_connection() raises first
        raise SeedRefused("No database connection.")
    n = 0
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _execute(sql: str, params: Sequence[Any] | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def _counts_for_courses(scale: Scale, rng: random.Random, published: list[int]) -> dict[int, int]:
    """Learners per published course: `hot_courses` of them with at least
    `hot_min_learners`, the rest a Zipf-like tail that stays below that."""
    order = published[:]
    rng.shuffle(order)
    hot, tail = order[: scale.hot_courses], order[scale.hot_courses :]
    counts: dict[int, int] = {}
    for i, course in enumerate(hot):
        counts[course] = min(scale.students, int(scale.hot_min_learners * (1.2 - 0.02 * i)))
    remaining = scale.enrollments - sum(counts.values())
    cap = min(scale.hot_min_learners - 1, scale.students)
    weights = [1 / (rank + 10) ** 0.8 for rank in range(len(tail))]
    total_weight = sum(weights)
    for course, weight in zip(tail, weights, strict=True):
        counts[course] = min(cap, int(remaining * weight / total_weight))
    # Rounding leftovers, one learner at a time, to the tail courses with room.
    short = scale.enrollments - sum(counts.values())
    i = 0
    while short > 0 and tail:
        course = tail[i % len(tail)]
        if counts[course] < cap:
            counts[course] += 1
            short -= 1
        i += 1
    return counts


def _completions_per_enrollment(
    scale: Scale, rng: random.Random, n: int, per_course: int
) -> list[int]:
    """How many lessons each enrollment completed (its first k lessons, in order):
    a quarter none, a tenth all, the rest a few; then nudged to the exact total."""
    ks = []
    for _ in range(n):
        r = rng.random()
        if r < 0.25:
            ks.append(0)
        elif r < 0.35:
            ks.append(per_course)
        else:
            ks.append(1 + int(rng.random() * 8))
    diff = scale.completions - sum(ks)
    while diff != 0:
        i = rng.randrange(n)
        if diff > 0 and ks[i] < per_course:
            ks[i] += 1
            diff -= 1
        elif diff < 0 and ks[i] > 0:
            ks[i] -= 1
            diff += 1
    return ks


class PaidSeat(NamedTuple):
    """An enrollment in a paid course, as its order needs it."""

    user_id: int
    course_id: int
    enrolled_at: datetime
    dropped_at: datetime | None


ORDER_COLUMNS = [
    "id",
    "kind",
    "status",
    "list_amount",
    "discount_amount",
    "amount",
    "currency",
    "amount_refunded",
    "attempt",
    "idempotency_key",
    "public_id",
    "stripe_checkout_session_id",
    "checkout_url",
    "checkout_expires_at",
    "stripe_payment_intent_id",
    "stripe_client_secret",
    "paid_payment_intent_id",
    "paid_amount",
    "stripe_charge_id",
    "needs_review",
    "review_reason",
    "created_at",
    "updated_at",
    "paid_at",
    "failed_at",
    "refunded_at",
    "disputed_at",
    "cancelled_at",
    "coupon_id",
    "course_id",
    "user_id",
]
EVENT_COLUMNS = [
    "id",
    "event_id",
    "type",
    "livemode",
    "stripe_created",
    "payload",
    "result",
    "received_at",
    "order_id",
]
STRIPE_API_VERSION = "2025-01-27.acacia"
# payments.services.checkout.CHECKOUT_LIFETIME (the test checks they agree); not imported,
# so this module loads without the payments services.
CHECKOUT_LIFETIME = timedelta(minutes=30)


def stripe_id(prefix: str, n: int, salt: int) -> str:
    """A Stripe-shaped id: prefix, the salt digit, 23 hex digits; unique per (n, salt) and
    random-looking. For one salt the 92-bit mix is a bijection of n (odd multipliers and an
    xor-shift by at least half the width are invertible modulo 2**92)."""
    mask = 2**92 - 1
    x = ((n + (salt << 64)) * 0x9E3779B97F4A7C15F39CC061) & mask
    x = ((x ^ (x >> 47)) * 0xBF58476D1CE4E5B94D049BB1) & mask
    return f"{prefix}{salt}{x ^ (x >> 47):023x}"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class SeededOrder:
    """One order and its facts, as `payments.services` would have left them: the status
    is `payments.services.orders.derived_status` of the facts."""

    id: int
    user_id: int
    course_id: int
    kind: str  # checkout | intent
    amount: int
    public_id: uuid.UUID
    created_at: datetime
    paid_at: datetime | None = None
    failed_at: datetime | None = None
    refunded_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.paid_at is not None:
            return "refunded" if self.refunded_at is not None else "paid"
        return "failed" if self.failed_at is not None else "pending"

    @property
    def session_id(self) -> str:
        return stripe_id("cs_test_b1", self.id, 1) if self.kind == "checkout" else ""

    @property
    def intent_id(self) -> str:
        return stripe_id("pi_3", self.id, 2)

    @property
    def metadata(self) -> dict[str, str]:
        return {"order_id": str(self.id), "order_public_id": str(self.public_id), "attempt": "1"}

    def row(self) -> tuple[Any, ...]:
        checkout = self.kind == "checkout"
        paid = self.paid_at is not None
        return (
            self.id,
            self.kind,
            self.status,
            self.amount,
            0,
            self.amount,
            CURRENCY,
            self.amount if self.refunded_at else 0,
            1,
            f"order-{self.public_id}-1",
            self.public_id,
            self.session_id,
            f"https://checkout.stripe.com/c/pay/{self.session_id}" if checkout else "",
            self.created_at + CHECKOUT_LIFETIME if checkout else None,
            self.intent_id,
            "" if checkout else f"{self.intent_id}_secret_{stripe_id('', self.id, 3)}",
            self.intent_id if paid else "",
            self.amount if paid else None,
            "",
            False,
            "",
            self.created_at,
            self.refunded_at or self.paid_at or self.failed_at or self.created_at,
            self.paid_at,
            self.failed_at,
            self.refunded_at,
            None,
            None,
            None,
            self.course_id,
            self.user_id,
        )

    def events(self) -> Iterator[tuple[Any, ...]]:
        """(event id, type, livemode, created, payload JSON, result, received, order id) of
        each Stripe event this order received, with the result the webhook recorded."""
        if self.paid_at is not None:
            session = {
                "id": self.session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "complete",
                "payment_status": "paid",
                "amount_subtotal": self.amount,
                "amount_total": self.amount,
                "currency": CURRENCY.lower(),
                "client_reference_id": str(self.id),
                "metadata": self.metadata,
                "payment_intent": self.intent_id,
                "created": _epoch(self.created_at),
                "expires_at": _epoch(self.created_at + CHECKOUT_LIFETIME),
                "livemode": False,
                "url": None,
            }
            yield self._event(1, "checkout.session.completed", session, self.paid_at, "granted")
        if self.refunded_at is not None:
            charge = {
                "id": stripe_id("ch_3", self.id, 4),
                "object": "charge",
                "amount": self.amount,
                "amount_captured": self.amount,
                "amount_refunded": self.amount,
                "currency": CURRENCY.lower(),
                "paid": True,
                "refunded": True,
                "payment_intent": self.intent_id,
                "metadata": self.metadata,
                "created": _epoch(self.paid_at or self.created_at),
            }
            # The learner had dropped already: nothing to revoke.
            yield self._event(2, "charge.refunded", charge, self.refunded_at, "applied")
        if self.failed_at is not None:
            intent = {
                "id": self.intent_id,
                "object": "payment_intent",
                "amount": self.amount,
                "currency": CURRENCY.lower(),
                "status": "requires_payment_method",
                "metadata": self.metadata,
                "last_payment_error": {"type": "card_error", "code": "card_declined"},
                "created": _epoch(self.created_at),
            }
            yield self._event(3, "payment_intent.payment_failed", intent, self.failed_at, "applied")

    def _event(
        self, salt: int, type_: str, obj: dict[str, Any], at: datetime, result: str
    ) -> tuple[Any, ...]:
        created = at - timedelta(seconds=1)
        payload = {
            "id": stripe_id("evt_1", self.id, salt),
            "object": "event",
            "api_version": STRIPE_API_VERSION,
            "created": _epoch(created),
            "livemode": False,
            "pending_webhooks": 1,
            "type": type_,
            "data": {"object": obj},
        }
        return (payload["id"], type_, False, created, json.dumps(payload), result, at, self.id)


def _paid_orders(seats: Sequence[PaidSeat], course_price: dict[int, int]) -> Iterator[SeededOrder]:
    """Ids 1..len(seats) in enrollment order. The learner started checkout 1-15 minutes
    before enrolling; the webhook recorded the payment (paid_at) and then enrolled them.
    Dropped learners were refunded in full (REFUNDED_SHARE_OF_DROPPED) 1-72 h after
    dropping. Called twice (orders, then events): its own seeded stream gives the same rows."""
    rng = random.Random(PAYMENTS_SEED)  # noqa: S311 (reproducible data, not secrets)
    for oid, seat in enumerate(seats, start=1):
        refunded = seat.dropped_at is not None and rng.random() < REFUNDED_SHARE_OF_DROPPED
        yield SeededOrder(
            id=oid,
            user_id=seat.user_id,
            course_id=seat.course_id,
            kind="checkout",
            amount=course_price[seat.course_id],
            public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            created_at=seat.enrolled_at - timedelta(seconds=60 + rng.randrange(840)),
            paid_at=seat.enrolled_at - timedelta(milliseconds=20 + rng.randrange(2000)),
            refunded_at=(
                seat.dropped_at + timedelta(seconds=3600 + rng.randrange(71 * 3600))
                if refunded and seat.dropped_at is not None
                else None
            ),
        )


def _open_order_pairs(
    scale: Scale, published: list[int], course_price: dict[int, int], out: list[tuple[int, int]]
) -> int:
    """(learner, paid published course) pairs without an enrollment, for the open orders:
    random pairs, filtered against the loaded enrollments. Fills `out`."""
    wanted = scale.pending_orders + scale.failed_orders
    paid_courses = [c for c in published if course_price[c] > 0]
    if not wanted or not paid_courses:
        return 0
    rng = random.Random(PAYMENTS_SEED + 1)  # noqa: S311 (reproducible data, not secrets)
    seen: set[tuple[int, int]] = set()
    while len(seen) < 4 * wanted:  # no course holds half the learners: most pairs are free
        seen.add((rng.randrange(scale.instructors + 1, scale.users + 1), rng.choice(paid_courses)))
    candidates = sorted(seen)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.u, t.c FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS t(u, c, n)"
            " WHERE NOT EXISTS (SELECT 1 FROM enrollments_enrollment e"
            "   WHERE e.user_id = t.u AND e.course_id = t.c)"
            " ORDER BY t.n LIMIT %s",
            [[u for u, _ in candidates], [c for _, c in candidates], wanted],
        )
        out[:] = [(int(u), int(c)) for u, c in cur.fetchall()]
    if len(out) < wanted:
        raise SeedRefused(f"Only {len(out)} free (learner, paid course) pairs for {wanted} orders.")
    return len(out)


def _open_orders(
    scale: Scale,
    pairs: list[tuple[int, int]],
    course_price: dict[int, int],
    published_day: dict[int, int],
    days: list[datetime],
    *,
    first_id: int,
) -> Iterator[SeededOrder]:
    """Mobile checkouts (PaymentIntents) never confirmed (pending), then declined ones
    (failed, 1-10 minutes after they started)."""
    rng = random.Random(PAYMENTS_SEED + 2)  # noqa: S311 (reproducible data, not secrets)
    for index, (uid, cid) in enumerate(pairs):
        day = published_day[cid] + rng.randrange(150)
        created = days[day] + timedelta(seconds=rng.randrange(86_400))
        failed = index >= scale.pending_orders
        yield SeededOrder(
            id=first_id + index,
            user_id=uid,
            course_id=cid,
            kind="intent",
            amount=course_price[cid],
            public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            created_at=created,
            failed_at=created + timedelta(seconds=60 + rng.randrange(540)) if failed else None,
        )


def _event_rows(orders: Iterable[SeededOrder]) -> Iterator[tuple[Any, ...]]:
    eid = 0
    for order in orders:
        for event in order.events():
            eid += 1
            yield (eid, *event)


def seed(scale: Scale, *, log: Log = print) -> dict[str, float]:
    """Empties the bench tables and loads `scale`. Returns seconds per step."""
    rng = random.Random(SEED)  # noqa: S311 (reproducible data, not secrets)
    timings: dict[str, float] = {}

    def step(name: str, fn: Callable[[], int]) -> None:
        started = time.monotonic()
        rows = fn()
        timings[name] = time.monotonic() - started
        log(f"{name:<32} {rows:>10,} rows {timings[name]:8.1f} s")

    days = [BASE_TIME + timedelta(days=d) for d in range(800)]
    per_course = scale.lessons_per_course
    # The last lesson of every course is optional: the rollups count required ones only.
    optional_index = per_course - 1

    with transaction.atomic():
        # TRUNCATE refuses tables with pending deferred FK checks (rows the enclosing
        # transaction wrote, e.g. a test that seeds twice): check them now, defer again.
        _execute("SET CONSTRAINTS ALL IMMEDIATE")
        _execute("SET CONSTRAINTS ALL DEFERRED")
        step("truncate", lambda: max(_execute(TRUNCATE_SQL), 0))

        password = make_password(BENCH_PASSWORD)

        def users() -> Iterable[tuple[Any, ...]]:
            for uid in range(1, scale.users + 1):
                instructor = uid <= scale.instructors
                local = f"instructor{uid:05d}" if instructor else f"user{uid:06d}"
                joined = days[rng.randrange(60)]
                yield (
                    uid,
                    password,
                    False,
                    f"{local}@{BENCH_EMAIL_DOMAIN}",
                    "Bench",
                    f"{'Instructor' if instructor else 'Learner'} {uid}",
                    "instructor" if instructor else "student",
                    True,
                    False,
                    joined,
                    "",
                    joined,
                    0,
                    "UTC",
                )

        step(
            "accounts_user",
            lambda: _copy(
                "accounts_user",
                [
                    "id",
                    "password",
                    "is_superuser",
                    "email",
                    "first_name",
                    "last_name",
                    "role",
                    "is_active",
                    "is_staff",
                    "date_joined",
                    "avatar",
                    "email_verified_at",
                    "failed_login_count",
                    "timezone",
                ],
                users(),
            ),
        )

        step(
            "courses_category",
            lambda: _copy(
                "courses_category",
                ["id", "name", "slug"],
                (
                    (i, f"Bench category {i}", f"bench-category-{i}")
                    for i in range(1, scale.categories + 1)
                ),
            ),
        )

        course_ids = list(range(1, scale.courses + 1))
        published = sorted(rng.sample(course_ids, scale.published))
        published_set = set(published)
        published_day = {c: rng.randrange(180) for c in course_ids}
        course_price: dict[int, int] = {}

        def courses() -> Iterable[tuple[Any, ...]]:
            for cid in course_ids:
                topic = TOPICS[rng.randrange(len(TOPICS))]
                title = f"{ADJECTIVES[rng.randrange(len(ADJECTIVES))]} {topic} {cid}"
                subtitle = f"Learn {topic} step by step"
                description = f"A bench course about {topic}, with exercises and projects."
                is_published = cid in published_set
                created = days[published_day[cid]]
                level = LEVELS[rng.randrange(len(LEVELS))]
                course_price[cid] = PRICES[rng.randrange(len(PRICES))]
                yield (
                    cid,
                    title,
                    f"{COURSE_SLUG_PREFIX}{cid:05d}",
                    subtitle,
                    description,
                    f"<p>{description}</p>",
                    "",
                    "en",
                    level,
                    course_price[cid],
                    CURRENCY,
                    "published" if is_published else "draft",
                    created if is_published else None,
                    70,
                    0,
                    created,
                    created,
                    1 + rng.randrange(scale.categories),
                    4 + rng.randrange(30),
                )

        step(
            "courses_course",
            lambda: _copy(
                "courses_course",
                [
                    "id",
                    "title",
                    "slug",
                    "subtitle",
                    "description",
                    "description_html",
                    "cover_image",
                    "language",
                    "level",
                    "price_amount",
                    "currency",
                    "status",
                    "published_at",
                    "passing_grade",
                    "enrollment_count",
                    "created_at",
                    "updated_at",
                    "category_id",
                    "estimated_hours",
                ],
                courses(),
            ),
        )
        # The same vector as courses.services.common.search_vector_refresh (A/B/C weights).
        step(
            "courses_course.search_vector",
            lambda: _execute(
                "UPDATE courses_course SET search_vector ="
                " setweight(to_tsvector('english', coalesce(title, '')), 'A')"
                " || setweight(to_tsvector('english', coalesce(subtitle, '')), 'B')"
                " || setweight(to_tsvector('english', coalesce(description, '')), 'C')"
            ),
        )

        # Course i is owned by instructor ((i - 1) % instructors) + 1.
        step(
            "courses_coursestaff",
            lambda: _copy(
                "courses_coursestaff",
                ["id", "role", "created_at", "course_id", "user_id"],
                (
                    (cid, "owner", days[published_day[cid]], cid, (cid - 1) % scale.instructors + 1)
                    for cid in course_ids
                ),
            ),
        )

        step(
            "courses_module",
            lambda: _copy(
                "courses_module",
                ["id", "title", "position", "course_id"],
                (
                    (
                        (cid - 1) * scale.modules_per_course + pos + 1,
                        f"Module {pos + 1}",
                        pos,
                        cid,
                    )
                    for cid in course_ids
                    for pos in range(scale.modules_per_course)
                ),
            ),
        )

        def lesson_id(cid: int, index: int) -> int:
            return (cid - 1) * per_course + index + 1

        def lessons() -> Iterable[tuple[Any, ...]]:
            for cid in course_ids:
                created = days[published_day[cid]]
                for index in range(per_course):
                    module_pos, pos = divmod(index, scale.lessons_per_module)
                    video = index % 3 == 1
                    yield (
                        lesson_id(cid, index),
                        f"Lesson {index + 1}",
                        pos,
                        "video" if video else "text",
                        f"Notes for lesson {index + 1}.",
                        f"<p>Notes for lesson {index + 1}.</p>",
                        f"https://video.bench.test/{cid}/{index}" if video else "",
                        "",
                        "",
                        5 + rng.randrange(20),
                        index == 0,
                        index != optional_index,
                        False,
                        created,
                        created,
                        (cid - 1) * scale.modules_per_course + module_pos + 1,
                    )

        step(
            "courses_lesson",
            lambda: _copy(
                "courses_lesson",
                [
                    "id",
                    "title",
                    "position",
                    "kind",
                    "body",
                    "body_html",
                    "video_url",
                    "file",
                    "link_url",
                    "duration_minutes",
                    "is_preview",
                    "required_for_completion",
                    "requires_prerequisites",
                    "created_at",
                    "updated_at",
                    "module_id",
                ],
                lessons(),
            ),
        )

        # Enrollments: distinct learners per course (so (user, course) is unique), only
        # in published courses, ids in course order.
        counts = _counts_for_courses(scale, rng, published)
        student_ids = range(scale.instructors + 1, scale.users + 1)
        enrollment_course: list[int] = []
        enrollment_day: list[int] = []
        # Every enrollment in a paid course came from a payment (source "paid").
        paid_seats: list[PaidSeat] = []

        def enrollments() -> Iterable[tuple[Any, ...]]:
            eid = 0
            for cid in published:
                for uid in rng.sample(student_ids, counts[cid]):
                    eid += 1
                    day = published_day[cid] + rng.randrange(150)
                    enrolled = days[day] + timedelta(seconds=rng.randrange(86_400))
                    dropped = rng.random() < 0.03
                    dropped_at = days[day + 30] if dropped else None
                    paid = course_price[cid] > 0
                    enrollment_course.append(cid)
                    enrollment_day.append(day)
                    if paid:
                        paid_seats.append(PaidSeat(uid, cid, enrolled, dropped_at))
                    yield (
                        eid,
                        "dropped" if dropped else "active",
                        "paid" if paid else "self",
                        enrolled,
                        dropped_at,
                        0,
                        0,
                        0,
                        "1.00",
                        0,
                        0,
                        enrolled,
                        enrolled,
                        cid,
                        uid,
                    )

        step(
            "enrollments_enrollment",
            lambda: _copy(
                "enrollments_enrollment",
                [
                    "id",
                    "status",
                    "source",
                    "enrolled_at",
                    "dropped_at",
                    "completed_count",
                    "required_total",
                    "percent",
                    "time_multiplier",
                    "extra_attempts",
                    "deadline_extension_days",
                    "created_at",
                    "updated_at",
                    "course_id",
                    "user_id",
                ],
                enrollments(),
            ),
        )

        ks = _completions_per_enrollment(scale, rng, len(enrollment_course), per_course)

        def completions() -> Iterable[tuple[Any, ...]]:
            cid_ = 0
            for index, k in enumerate(ks):
                eid = index + 1
                cid = enrollment_course[index]
                day = enrollment_day[index]
                for j in range(k):
                    cid_ += 1
                    yield (cid_, days[day + j + 1], eid, lesson_id(cid, j))

        step(
            "enrollments_lessoncompletion",
            lambda: _copy(
                "enrollments_lessoncompletion",
                ["id", "completed_at", "enrollment_id", "lesson_id"],
                completions(),
            ),
        )

        # Orders: one settled order per paid-course enrollment (paid; or refunded in full
        # for some who dropped), then a few open ones (pending, failed) of learners who
        # are not enrolled. Each settled or failed order has the Stripe events that made
        # it, stored as processed (so a redelivery is a duplicate).
        pairs: list[tuple[int, int]] = []

        def orders() -> Iterable[SeededOrder]:
            yield from _paid_orders(paid_seats, course_price)
            yield from _open_orders(
                scale, pairs, course_price, published_day, days, first_id=len(paid_seats) + 1
            )

        step(
            "payments_order (open pairs)",
            lambda: _open_order_pairs(scale, published, course_price, pairs),
        )
        step(
            "payments_order",
            lambda: _copy("payments_order", ORDER_COLUMNS, (o.row() for o in orders())),
        )
        step(
            "payments_stripeevent",
            lambda: _copy("payments_stripeevent", EVENT_COLUMNS, _event_rows(orders())),
        )

        step("enrollments_enrollment.rollup", rollup_refresh_all)
        step("courses_course.enrollment_count", course_counts_refresh_all)
        step("sequences", sequences_reset)
        commit_started = time.monotonic()

    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: PostgreSQL checks all of
    # them here, at commit (a savepoint release when called inside a transaction).
    _timed(timings, log, "commit (deferred FK checks)", commit_started)

    started = time.monotonic()
    # VACUUM cannot run in a transaction (e.g. a test's); ANALYZE alone can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cur:
        for table in SEQUENCE_TABLES:
            cur.execute(f"{command} {table}")
    _timed(timings, log, command.lower(), started)
    return timings


def _timed(timings: dict[str, float], log: Log, name: str, started: float) -> None:
    timings[name] = time.monotonic() - started
    log(f"{name:<32} {'':>10}      {timings[name]:8.1f} s")


def rollup_refresh_all() -> int:
    """Every enrollment's stored rollup from its completions, in one statement, with the
    rules of enrollments.services.progress: required lessons only, floor percent capped
    at 100, active at 100 % becomes completed (at its last completion)."""
    return _execute(
        """
        UPDATE enrollments_enrollment e
        SET required_total = s.total,
            completed_count = s.done,
            percent = s.pct,
            last_activity_at = s.last_at,
            status = CASE WHEN e.status = 'active' AND s.pct = 100
                          THEN 'completed' ELSE e.status END,
            completed_at = CASE WHEN e.status = 'active' AND s.pct = 100
                                THEN s.last_at ELSE e.completed_at END
        FROM (
            SELECT e2.id,
                   coalesce(t.total, 0) AS total,
                   coalesce(d.done, 0) AS done,
                   CASE WHEN coalesce(t.total, 0) = 0 THEN 0
                        ELSE least(100, coalesce(d.done, 0) * 100 / t.total) END AS pct,
                   d.last_at
            FROM enrollments_enrollment e2
            LEFT JOIN (
                SELECT m.course_id, count(*) AS total
                FROM courses_lesson l JOIN courses_module m ON m.id = l.module_id
                WHERE l.required_for_completion
                GROUP BY m.course_id
            ) t ON t.course_id = e2.course_id
            LEFT JOIN (
                SELECT c.enrollment_id,
                       count(*) FILTER (WHERE l.required_for_completion) AS done,
                       max(c.completed_at) AS last_at
                FROM enrollments_lessoncompletion c
                JOIN courses_lesson l ON l.id = c.lesson_id
                GROUP BY c.enrollment_id
            ) d ON d.enrollment_id = e2.id
        ) s
        WHERE e.id = s.id
        """
    )


def course_counts_refresh_all() -> int:
    """Course.enrollment_count = seated (active + completed) enrollments."""
    return _execute(
        """
        UPDATE courses_course c
        SET enrollment_count = coalesce(s.n, 0)
        FROM (
            SELECT c2.id, count(e.id) AS n
            FROM courses_course c2
            LEFT JOIN enrollments_enrollment e
              ON e.course_id = c2.id AND e.status IN ('active', 'completed')
            GROUP BY c2.id
        ) s
        WHERE c.id = s.id
        """
    )


def sequences_reset() -> int:
    with connection.cursor() as cur:
        for table in SEQUENCE_TABLES:
            # Table names are the constants above, never input.
            sql = (
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                f" coalesce((SELECT max(id) FROM {table}), 1),"
                f" (SELECT max(id) FROM {table}) IS NOT NULL)"
            )
            cur.execute(sql)
    return len(SEQUENCE_TABLES)
