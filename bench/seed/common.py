"""Constants, scales and the COPY helpers the bench dataset is loaded with."""

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection

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
# Courses keep the default video threshold (courses.models.Course.video_complete_percent).
VIDEO_COMPLETE_PERCENT = 90
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


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
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


def execute_sql(sql: str, params: Sequence[Any] | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def counts_for_courses(scale: Scale, rng: random.Random, published: list[int]) -> dict[int, int]:
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


def completions_per_enrollment(
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
