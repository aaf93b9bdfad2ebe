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

from bench.seed.common import (
    BENCH_EMAIL_DOMAIN,
    BENCH_PASSWORD,
    COURSE_SLUG_PREFIX,
    SCALES,
    SEED,
    TOPICS,
    TRUNCATE_SQL,
    Scale,
    SeedRefused,
    check_target,
)
from bench.seed.load import seed
from bench.seed.orders import CHECKOUT_LIFETIME

__all__ = [
    "BENCH_EMAIL_DOMAIN",
    "BENCH_PASSWORD",
    "CHECKOUT_LIFETIME",
    "COURSE_SLUG_PREFIX",
    "SCALES",
    "SEED",
    "TOPICS",
    "TRUNCATE_SQL",
    "Scale",
    "SeedRefused",
    "check_target",
    "seed",
]
