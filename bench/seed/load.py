"""seed(): the whole dataset in one transaction, then the rollups in SQL."""

import random
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from bench.seed.common import (
    ADJECTIVES,
    BASE_TIME,
    BENCH_EMAIL_DOMAIN,
    BENCH_PASSWORD,
    COURSE_SLUG_PREFIX,
    CURRENCY,
    LEVELS,
    PRICES,
    SEED,
    SEQUENCE_TABLES,
    TOPICS,
    TRUNCATE_SQL,
    VIDEO_COMPLETE_PERCENT,
    Log,
    Scale,
    completions_per_enrollment,
    copy_rows,
    counts_for_courses,
    execute_sql,
)
from bench.seed.orders import (
    EVENT_COLUMNS,
    ORDER_COLUMNS,
    PaidSeat,
    SeededOrder,
    event_rows,
    open_order_pairs,
    open_orders,
    paid_orders,
)


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
        execute_sql("SET CONSTRAINTS ALL IMMEDIATE")
        execute_sql("SET CONSTRAINTS ALL DEFERRED")
        step("truncate", lambda: max(execute_sql(TRUNCATE_SQL), 0))

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
            lambda: copy_rows(
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
            lambda: copy_rows(
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
                    VIDEO_COMPLETE_PERCENT,
                    0,
                    created,
                    created,
                    1 + rng.randrange(scale.categories),
                    4 + rng.randrange(30),
                )

        step(
            "courses_course",
            lambda: copy_rows(
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
                    "video_complete_percent",
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
            lambda: execute_sql(
                "UPDATE courses_course SET search_vector ="
                " setweight(to_tsvector('english', coalesce(title, '')), 'A')"
                " || setweight(to_tsvector('english', coalesce(subtitle, '')), 'B')"
                " || setweight(to_tsvector('english', coalesce(description, '')), 'C')"
            ),
        )

        # Course i is owned by instructor ((i - 1) % instructors) + 1.
        step(
            "courses_coursestaff",
            lambda: copy_rows(
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
            lambda: copy_rows(
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
            lambda: copy_rows(
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
        counts = counts_for_courses(scale, rng, published)
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
            lambda: copy_rows(
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

        ks = completions_per_enrollment(scale, rng, len(enrollment_course), per_course)

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
            lambda: copy_rows(
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
            yield from paid_orders(paid_seats, course_price)
            yield from open_orders(
                scale, pairs, course_price, published_day, days, first_id=len(paid_seats) + 1
            )

        step(
            "payments_order (open pairs)",
            lambda: open_order_pairs(scale, published, course_price, pairs),
        )
        step(
            "payments_order",
            lambda: copy_rows("payments_order", ORDER_COLUMNS, (o.row() for o in orders())),
        )
        step(
            "payments_stripeevent",
            lambda: copy_rows("payments_stripeevent", EVENT_COLUMNS, event_rows(orders())),
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
    return execute_sql(
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
    return execute_sql(
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
