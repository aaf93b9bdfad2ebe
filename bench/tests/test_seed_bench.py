"""seed_bench --scale smoke: row counts, the skew, and rollups equal to a from-scratch
computation. The from-scratch numbers come from the ORM over the loaded rows and
`enrollments.services.progress.percent_of`, independently of the seed's SQL."""

import io
from collections import Counter

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max

from accounts.models import User
from bench.seed import BENCH_PASSWORD, SCALES
from courses.models import Course, CourseStaff, Lesson, Module
from enrollments.models import Enrollment, LessonCompletion
from enrollments.services.progress import percent_of

# The seed runs inside the test's transaction (TRUNCATE and COPY are transactional in
# PostgreSQL), so each test rolls it back instead of flushing the database.
pytestmark = pytest.mark.django_db

SMOKE = SCALES["smoke"]


@pytest.fixture
def seeded() -> None:
    call_command("seed_bench", "--scale", "smoke", stdout=io.StringIO())


@pytest.mark.postgres
def test_row_counts(seeded: None) -> None:
    assert User.objects.count() == SMOKE.users
    assert User.objects.filter(role="instructor").count() == SMOKE.instructors
    assert not User.objects.exclude(email__endswith="@bench.test").exists()
    assert Course.objects.count() == SMOKE.courses
    assert Course.objects.filter(status="published").count() == SMOKE.courses * 8 // 10
    assert Module.objects.count() == SMOKE.courses * 4
    assert Lesson.objects.count() == SMOKE.courses * 20
    per_course = Lesson.objects.values("module__course").annotate(n=Count("id"))
    assert {row["n"] for row in per_course} == {20}
    assert CourseStaff.objects.filter(role="owner").count() == SMOKE.courses
    assert Enrollment.objects.count() == SMOKE.enrollments
    assert LessonCompletion.objects.count() == SMOKE.completions
    # Learners only enrol in published courses; search vectors are filled.
    assert not Enrollment.objects.exclude(course__status="published").exists()
    assert not Course.objects.filter(search_vector__isnull=True).exists()


@pytest.mark.postgres
def test_every_user_shares_the_documented_password(seeded: None) -> None:
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert check_password(BENCH_PASSWORD, hashes.pop())


@pytest.mark.postgres
def test_skew_top_courses_hold_the_most_learners(seeded: None) -> None:
    learners = Counter(Enrollment.objects.values_list("course_id", flat=True))
    ranked = [n for _, n in learners.most_common()]
    hot, rest = ranked[: SMOKE.hot_courses], ranked[SMOKE.hot_courses :]
    assert all(n >= SMOKE.hot_min_learners for n in hot)
    assert all(n < SMOKE.hot_min_learners for n in rest)
    assert min(hot) > max(rest)


@pytest.mark.postgres
def test_rollups_equal_a_from_scratch_computation(seeded: None) -> None:
    required = Counter(
        Lesson.objects.filter(required_for_completion=True).values_list(
            "module__course_id", flat=True
        )
    )
    assert set(required.values()) == {19}  # one optional lesson per course
    done = Counter(
        LessonCompletion.objects.filter(lesson__required_for_completion=True).values_list(
            "enrollment_id", flat=True
        )
    )
    last = dict(
        LessonCompletion.objects.values("enrollment_id")
        .annotate(last=Max("completed_at"))
        .values_list("enrollment_id", "last")
    )
    # Completions belong to lessons of the enrollment's own course.
    assert not LessonCompletion.objects.exclude(
        lesson__module__course_id=F("enrollment__course_id")
    ).exists()

    statuses: Counter[str] = Counter()
    for e in Enrollment.objects.all():
        total = required[e.course_id]
        expected = percent_of(done[e.id], total)
        assert (e.completed_count, e.required_total, e.percent) == (done[e.id], total, expected)
        assert 0 <= e.percent <= 100
        if expected == 100 and e.status != "dropped":
            assert e.status == "completed"
            assert e.completed_at == last[e.id]
        else:
            assert e.status in ("active", "dropped")
        statuses[e.status] += 1
    # The shape has every status the seed writes.
    assert statuses["active"] and statuses["completed"] and statuses["dropped"]

    seated = Counter(
        Enrollment.objects.filter(status__in=["active", "completed"]).values_list(
            "course_id", flat=True
        )
    )
    for course_id, count in Course.objects.values_list("id", "enrollment_count"):
        assert count == seated[course_id]


@pytest.mark.postgres
def test_deterministic_and_sequences_follow_the_data(seeded: None) -> None:
    first = list(Enrollment.objects.order_by("id").values_list("user_id", "course_id", "percent"))
    call_command("seed_bench", "--scale", "smoke", stdout=io.StringIO())
    again = list(Enrollment.objects.order_by("id").values_list("user_id", "course_id", "percent"))
    assert first == again
    # A row created afterwards gets the next id, not a collision.
    user = User.objects.create_user("late@bench.test", "x")
    assert user.pk == SMOKE.users + 1


@pytest.mark.postgres
def test_refuses_a_database_with_non_bench_data() -> None:
    User.objects.create_user("someone@example.com", "x")
    with pytest.raises(CommandError, match="non-bench data"):
        call_command("seed_bench", "--scale", "smoke")
    assert User.objects.filter(email="someone@example.com").exists()

    call_command("seed_bench", "--scale", "smoke", "--force", stdout=io.StringIO())
    assert not User.objects.filter(email="someone@example.com").exists()
    assert User.objects.count() == SMOKE.users


def test_refuses_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "sqlite":  # on the embedded default this is the real thing
        monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("seed_bench", "--scale", "smoke")
