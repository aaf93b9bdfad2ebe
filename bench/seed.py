"""The benchmark dataset: users, courses, structure, enrollments, completions, rollups.

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

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

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

        def courses() -> Iterable[tuple[Any, ...]]:
            for cid in course_ids:
                topic = TOPICS[rng.randrange(len(TOPICS))]
                title = f"{ADJECTIVES[rng.randrange(len(ADJECTIVES))]} {topic} {cid}"
                subtitle = f"Learn {topic} step by step"
                description = f"A bench course about {topic}, with exercises and projects."
                is_published = cid in published_set
                created = days[published_day[cid]]
                yield (
                    cid,
                    title,
                    f"{COURSE_SLUG_PREFIX}{cid:05d}",
                    subtitle,
                    description,
                    f"<p>{description}</p>",
                    "",
                    "en",
                    LEVELS[rng.randrange(len(LEVELS))],
                    PRICES[rng.randrange(len(PRICES))],
                    "USD",
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

        def enrollments() -> Iterable[tuple[Any, ...]]:
            eid = 0
            for cid in published:
                for uid in rng.sample(student_ids, counts[cid]):
                    eid += 1
                    day = published_day[cid] + rng.randrange(150)
                    enrolled = days[day] + timedelta(seconds=rng.randrange(86_400))
                    dropped = rng.random() < 0.03
                    enrollment_course.append(cid)
                    enrollment_day.append(day)
                    yield (
                        eid,
                        "dropped" if dropped else "active",
                        "self",
                        enrolled,
                        days[day + 30] if dropped else None,
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
