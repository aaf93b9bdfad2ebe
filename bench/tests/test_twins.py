"""The baselines against the real endpoints, on the smoke dataset.

Raw twins must return the same body (parsed JSON) and status as the real endpoint for the
same request, and the write twin must leave the same rows behind; naive twins must answer
200 with as many items. The dataset is seeded once for the module (committed, then
truncated at the end); each test runs in its own rolled-back transaction on top of it.
"""

import io
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from assignments.models import Assignment
from assignments.services import manual_item_create
from assignments.services.structure import default_category
from bench.baselines import bcrypt
from bench.seed import BENCH_PASSWORD, TOPICS, TRUNCATE_SQL
from courses.models import Category, Course, CourseStaff, Lesson
from enrollments.models import Enrollment, LessonCompletion, LessonProgress
from lms.outbox.models import OutboxMessage
from lms.testing import client_for
from quizzes.models import Quiz

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.tests.urls")]


@pytest.fixture(scope="module")
def smoke(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Seeded once for the module and committed; tests roll their own changes back."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            yield  # the postgres marker skips (or, under CI, fails) every test
            return
        call_command("seed_bench", "--scale", "smoke", stdout=io.StringIO())
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(TRUNCATE_SQL)


@pytest.fixture
def data(smoke: None) -> dict[str, Any]:
    """The actors and objects of the scenarios, picked from the seeded rows."""
    course = Course.objects.filter(status="published").order_by("-enrollment_count", "id")[0]
    enrollment = (
        Enrollment.objects.filter(
            course=course, status="active", completed_count__gt=0, completed_count__lt=10
        )
        .select_related("user")
        .order_by("id")[0]
    )
    owner = CourseStaff.objects.get(course=course, role="owner").user
    return {
        "course": course,
        "enrollment": enrollment,
        "learner": enrollment.user,
        "owner": owner,
        "other_instructor": User.objects.filter(role="instructor").exclude(pk=owner.pk)[0],
        "outsider": User.objects.filter(role="student")
        .exclude(enrollments__course=course)
        .order_by("id")[0],
        "draft": Course.objects.filter(status="draft").order_by("id")[0],
    }


def lessons_of(course: Course) -> list[Lesson]:
    return list(
        Lesson.objects.filter(module__course=course).order_by("module__position", "position")
    )


def both(client: APIClient, rest: str, method: str = "get") -> tuple[Any, Any]:
    """The real endpoint's and the raw twin's response to the same request."""
    real = getattr(client, method)(f"/api/v1/{rest}")
    raw = getattr(client, method)(f"/bench/raw/{rest}")
    return real, raw


# Members of a problem document that name the request, not the answer.
PER_REQUEST = ("instance", "request_id")


def problem(response: Any) -> dict[str, Any]:
    """A problem document without the members that differ between any two requests."""
    assert response["Content-Type"] == "application/problem+json", response.content
    return {k: v for k, v in response.json().items() if k not in PER_REQUEST}


def assert_same(client: APIClient, rest: str, status: int = 200) -> Any:
    """Same status and body; for a refusal, the same problem document (type, title,
    status, detail, code and any extra members)."""
    real, raw = both(client, rest)
    assert real.status_code == status, real.content
    assert raw.status_code == status, raw.content
    if status == 200:
        assert raw.json() == real.json()
    else:
        assert problem(raw) == problem(real)
        assert raw.get("WWW-Authenticate") == real.get("WWW-Authenticate")
    return real.json()


# --- floor and bcrypt ----------------------------------------------------------------------


def test_floor_answers_a_fixed_body_without_the_database(
    django_assert_num_queries: Any,
) -> None:
    with django_assert_num_queries(0):
        response = APIClient().get("/bench/floor/")
    assert response.status_code == 200
    assert response.json() == {"data": {"ok": True}, "meta": {}}


@pytest.mark.postgres
def test_bcrypt_checks_the_bench_password_with_the_stored_hash(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    monkeypatch.setattr(bcrypt, "_stored_hash", None)
    client = APIClient()
    with django_assert_num_queries(1):  # the hash, once per process
        assert client.post("/bench/bcrypt/", {"password": BENCH_PASSWORD}).status_code == 200
    with django_assert_num_queries(0):
        assert client.post("/bench/bcrypt/", {"password": BENCH_PASSWORD}).status_code == 200
        assert client.post("/bench/bcrypt/", {"password": "wrong"}).status_code == 401
        assert client.post("/bench/bcrypt/", {}).status_code == 400
    assert client.get("/bench/bcrypt/").status_code == 405


# --- raw twins: reads ----------------------------------------------------------------------


def _topics(course_titles: list[str]) -> list[str]:
    """The seed's title topics, most frequent first among these titles."""
    found = Counter(t for title in course_titles for t in TOPICS if t in title.lower())
    return [topic for topic, _ in found.most_common()]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?page_size=4&page=2",
        "?page_size=5&page=last",
        "?search={term}",
        "?search={term}%20or%20{term2}&page_size=2&page=2",
        "?search=%22{term}%22%20-cobol",  # websearch syntax: a phrase, a negation
        "?category={category}",
        "?category={category}&search={term}",
    ],
)
def test_raw_catalogue_equals_real(data: dict[str, Any], query: str) -> None:
    published = list(Course.objects.filter(status="published").select_related("category"))
    term, term2 = _topics([course.title for course in published])[:2]
    category = next(c.category for c in published if term in c.title.lower() and c.category)
    query = query.format(category=category.slug, term=term, term2=term2).replace(" ", "%20")
    body = assert_same(APIClient(), f"courses/{query}")
    assert body["data"], "an empty page would prove nothing"


@pytest.mark.postgres
def test_raw_catalogue_category_includes_subcategories(data: dict[str, Any]) -> None:
    parent = Category.objects.order_by("id")[0]
    child = Category.objects.create(name="Child", slug="bench-child", parent=parent)
    moved = Course.objects.filter(status="published", category=parent).order_by("id")[:2]
    Course.objects.filter(pk__in=[course.pk for course in moved]).update(category=child)
    body = assert_same(APIClient(), f"courses/?category={parent.slug}")
    assert {item["category"]["slug"] for item in body["data"]} == {parent.slug, "bench-child"}


@pytest.mark.postgres
def test_raw_catalogue_refusals_match_real(data: dict[str, Any]) -> None:
    client = APIClient()
    assert_same(client, "courses/?page=999", status=404)
    assert_same(client, "courses/?category=not%20a%20slug", status=400)
    assert_same(client, "courses/?search=%20%20", status=400)  # blank once trimmed
    assert_same(client, f"courses/?search={'x' * 201}", status=400)
    # Two fields at once: one item each, in the serializer's order, and a summary.
    body = assert_same(client, "courses/?search=%20&category=a%2Bb", status=400)
    assert [item["pointer"] for item in body["errors"]] == ["/category", "/search"]
    # Filters the twin does not implement are refused, never silently dropped.
    assert client.get("/bench/raw/courses/?level=beginner").status_code == 400


@pytest.mark.postgres
def test_raw_catalogue_runs_two_statements_whatever_the_page_size(
    data: dict[str, Any], django_assert_num_queries: Any
) -> None:
    client = APIClient()
    for size in (2, 15):
        with django_assert_num_queries(2):  # count, page
            response = client.get(f"/bench/raw/courses/?page_size={size}")
        assert len(response.json()["data"]) == size


@pytest.mark.postgres
def test_raw_course_detail_equals_real(data: dict[str, Any]) -> None:
    slug = data["course"].slug
    Course.objects.filter(slug=slug).update(
        cover_image="courses/covers/cover.png", starts_at=timezone.now()
    )
    body = assert_same(APIClient(), f"courses/{slug}/")
    assert body["data"]["instructors"] and body["data"]["lesson_count"] == 20
    assert body["data"]["cover_image"].startswith("http://testserver/")
    assert_same(client_for(data["learner"]), f"courses/{slug}/")
    # Drafts: hidden from outsiders, shown to their team.
    draft = data["draft"]
    assert_same(APIClient(), f"courses/{draft.slug}/", status=404)
    team = CourseStaff.objects.get(course=draft, role="owner").user
    assert_same(client_for(team), f"courses/{draft.slug}/")
    assert_same(APIClient(), "courses/no-such-course/", status=404)


@pytest.mark.postgres
def test_raw_outline_equals_real_for_learner_team_and_anonymous(data: dict[str, Any]) -> None:
    slug = data["course"].slug
    body = assert_same(client_for(data["learner"]), f"courses/{slug}/outline/")
    states = [lesson["state"] for module in body["data"]["modules"] for lesson in module["lessons"]]
    assert all(state is not None for state in states)
    assert any(state["completed"] for state in states)
    assert any(not state["completed"] for state in states)
    assert_same(APIClient(), f"courses/{slug}/outline/")
    assert_same(client_for(data["owner"]), f"courses/{slug}/outline/")
    assert_same(APIClient(), f"courses/{data['draft'].slug}/outline/", status=404)


@pytest.mark.postgres
def test_raw_outline_equals_real_with_release_rules_and_prerequisites(
    data: dict[str, Any],
) -> None:
    """The bench dataset has no gated lessons; gate some so the lock rules are compared."""
    lessons = lessons_of(data["course"])
    done = data["enrollment"].completed_count
    Lesson.objects.filter(pk=lessons[done + 1].pk).update(requires_prerequisites=True)
    Lesson.objects.filter(pk=lessons[done + 2].pk).update(release_after_days=100_000)
    Lesson.objects.filter(pk=lessons[done + 3].pk).update(release_after_days=0)
    # An absolute date, with microseconds, rendered by DRF's encoder in the real view.
    later = timezone.now() + timedelta(days=3, microseconds=123_456)
    Lesson.objects.filter(pk=lessons[done + 4].pk).update(release_at=later)
    body = assert_same(client_for(data["learner"]), f"courses/{data['course'].slug}/outline/")
    reasons = {
        lesson["state"]["lock_reason"]
        for module in body["data"]["modules"]
        for lesson in module["lessons"]
    }
    assert reasons == {None, "prerequisite", "not_released"}


@pytest.mark.postgres
def test_raw_outline_equals_real_with_quiz_and_assignment_lessons(data: dict[str, Any]) -> None:
    """Activity lessons carry their quiz's or assignment's id (a published one first, then
    the oldest); the bench dataset has none, so make some."""
    course = data["course"]
    quiz_lesson, assignment_lesson, bare_quiz = lessons_of(course)[5:8]
    Lesson.objects.filter(pk__in=[quiz_lesson.pk, bare_quiz.pk]).update(kind="quiz")
    Lesson.objects.filter(pk=assignment_lesson.pk).update(kind="assignment")
    Quiz.objects.create(course=course, lesson=quiz_lesson, title="Draft", published=False)
    published = Quiz.objects.create(course=course, lesson=quiz_lesson, title="Q", published=True)
    Quiz.objects.create(course=course, lesson=quiz_lesson, title="Later", published=True)
    assignment = Assignment.objects.create(
        course=course, lesson=assignment_lesson, title="A", points_possible=Decimal("10")
    )

    def activities(body: dict[str, Any]) -> dict[int, int | None]:
        return {
            lesson["id"]: lesson["activity_id"]
            for module in body["data"]["modules"]
            for lesson in module["lessons"]
        }

    for client in (client_for(data["learner"]), APIClient()):
        found = activities(assert_same(client, f"courses/{course.slug}/outline/"))
        assert found[quiz_lesson.pk] == published.pk
        assert found[assignment_lesson.pk] == assignment.pk
        assert found[bare_quiz.pk] is None
        naive = client.get(f"/bench/naive/courses/{course.slug}/outline/")
        assert activities(naive.json()) == found


@pytest.mark.postgres
def test_raw_my_enrollments_equals_real(data: dict[str, Any]) -> None:
    learner = (
        User.objects.filter(role="student")
        .annotate(n=Count("enrollments"))
        .filter(n__gte=3)
        .order_by("-n", "id")[0]
    )
    client = client_for(learner)
    Enrollment.objects.filter(user=learner).update(
        time_multiplier=Decimal("1.5"), extra_attempts=2, waitlisted_at=timezone.now()
    )
    body = assert_same(client, "enrollments/")
    assert body["data"][0]["accommodations"]["time_multiplier"] == "1.50"
    assert len(body["data"]) >= 3
    assert any(item["next_lesson"] for item in body["data"])
    assert_same(client, "enrollments/?page_size=1&page=2")
    assert_same(APIClient(), "enrollments/", status=401)


@pytest.mark.postgres
def test_raw_my_enrollments_runs_three_statements_whatever_the_page_size(
    data: dict[str, Any], django_assert_num_queries: Any
) -> None:
    learner = (
        User.objects.filter(role="student")
        .annotate(n=Count("enrollments"))
        .filter(n__gte=3)
        .order_by("-n", "id")[0]
    )
    client = client_for(learner)
    for size in (1, 3):
        with django_assert_num_queries(3):  # token session, count, page with next lessons
            response = client.get(f"/bench/raw/enrollments/?page_size={size}")
        assert len(response.json()["data"]) == size


@pytest.mark.postgres
def test_raw_lesson_equals_real(data: dict[str, Any]) -> None:
    lessons = lessons_of(data["course"])
    done = data["enrollment"].completed_count
    learner = client_for(data["learner"])
    Lesson.objects.filter(pk=lessons[0].pk).update(file="courses/lessons/notes.pdf")
    completed = assert_same(learner, f"lessons/{lessons[0].pk}/")
    assert completed["data"]["file"].startswith("http://testserver/")
    assert completed["data"]["completed"] is True
    pending = assert_same(learner, f"lessons/{lessons[done].pk}/")
    assert pending["data"]["completed"] is False
    # Preview lessons are open to anyone; the rest are not disclosed to outsiders.
    assert lessons[0].is_preview
    assert_same(APIClient(), f"lessons/{lessons[0].pk}/")
    assert_same(client_for(data["outsider"]), f"lessons/{lessons[1].pk}/", status=404)
    assert_same(client_for(data["owner"]), f"lessons/{lessons[5].pk}/")
    assert_same(learner, "lessons/999999/", status=404)
    # Gated lessons: 403 with the reason (and when it opens), for both.
    Lesson.objects.filter(pk=lessons[done + 1].pk).update(requires_prerequisites=True)
    gated = assert_same(learner, f"lessons/{lessons[done + 1].pk}/", status=403)
    assert gated["code"] == "prerequisite"
    later = timezone.now() + timedelta(days=3, microseconds=123_456)
    Lesson.objects.filter(pk=lessons[done + 2].pk).update(release_at=later)
    gated = assert_same(learner, f"lessons/{lessons[done + 2].pk}/", status=403)
    assert gated["code"] == "not_released" and gated["unlock_at"].endswith("Z")


@pytest.mark.postgres
def test_raw_roster_equals_real_on_first_and_deep_pages(data: dict[str, Any]) -> None:
    """Deep pages are reached by following the real endpoint's `next` links, so the test
    holds whichever pagination the real roster uses (page numbers or a cursor)."""
    slug = data["course"].slug
    owner = client_for(data["owner"])
    body = assert_same(owner, f"courses/{slug}/enrollments/")
    assert len(body["data"]) == 20
    for _ in range(4):
        next_link = body["meta"]["next"]
        assert next_link, "the hot course has more than five pages of learners"
        body = assert_same(owner, next_link.split("/api/v1/", 1)[1])
    previous = body["meta"]["previous"]
    assert_same(owner, previous.split("/api/v1/", 1)[1])
    assert_same(owner, f"courses/{slug}/enrollments/?status=active&page_size=50")
    assert_same(owner, f"courses/{slug}/enrollments/?status=dropped")


@pytest.mark.postgres
def test_raw_roster_deep_pages_cost_what_the_first_does(
    data: dict[str, Any], django_assert_num_queries: Any
) -> None:
    owner = client_for(data["owner"])
    rest = f"/bench/raw/courses/{data['course'].slug}/enrollments/"
    first = owner.get(rest).json()
    deep = first["meta"]["next"].split("/api/v1/courses/", 1)[1]
    for size in (10, 50):
        # token session, course and role, the page: no COUNT, no OFFSET
        with django_assert_num_queries(3) as captured:
            response = owner.get(f"/bench/raw/courses/{deep}&page_size={size}")
        assert len(response.json()["data"]) == size
        assert not any("OFFSET" in query["sql"] for query in captured.captured_queries)


@pytest.mark.postgres
def test_raw_roster_refusals_match_real(data: dict[str, Any]) -> None:
    slug = data["course"].slug
    rest = f"courses/{slug}/enrollments/"
    assert_same(APIClient(), rest, status=401)
    assert_same(client_for(data["learner"]), rest, status=403)
    assert_same(client_for(data["other_instructor"]), rest, status=403)
    assert_same(client_for(data["learner"]), f"courses/{data['draft'].slug}/enrollments/", 404)
    assert_same(client_for(data["owner"]), f"{rest}?status=nonsense", status=400)


@pytest.mark.postgres
def test_raw_twins_refuse_bad_and_ended_tokens_like_real(data: dict[str, Any]) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_same(client, "enrollments/", status=401)
    assert client.get("/bench/raw/enrollments/")["WWW-Authenticate"].startswith("Bearer ")
    assert_same(client, "courses/", status=401)
    learner = client_for(data["learner"])
    assert_same(learner, "enrollments/")
    User.objects.filter(pk=data["learner"].pk).update(is_active=False)
    assert_same(learner, "enrollments/", status=401)


# --- raw twin: the write -------------------------------------------------------------------


def _state(enrollment_id: int) -> dict[str, Any]:
    row = Enrollment.objects.filter(pk=enrollment_id).values().get()
    return {
        "rollup": {
            name: row[name] for name in ("status", "completed_count", "required_total", "percent")
        },
        "completed_at": row["completed_at"] is not None,
        "last_activity_at": row["last_activity_at"],
        "completions": set(
            LessonCompletion.objects.filter(enrollment_id=enrollment_id).values_list(
                "lesson_id", flat=True
            )
        ),
        "outbox": list(
            OutboxMessage.objects.filter(topic="enrollments.course_completed").values_list(
                "payload", flat=True
            )
        ),
    }


def _in_savepoint(run: Callable[[], Any]) -> Any:
    """Runs the request, returns its outcome, then undoes its writes."""
    savepoint = transaction.savepoint()
    try:
        return run()
    finally:
        transaction.savepoint_rollback(savepoint)


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """The body with the write's timestamps replaced by whether they are set."""
    enrollment = dict(body["data"]["enrollment"])
    for name in ("last_activity_at", "completed_at"):
        enrollment[name] = enrollment[name] is not None
    return {**body["data"], "enrollment": enrollment}


def _almost_done(enrollment: Enrollment, lessons: list[Lesson]) -> Lesson:
    """Complete every required lesson but one (as the services would have): the next
    completion takes the enrollment to 100 %."""
    required = [lesson for lesson in lessons if lesson.required_for_completion]
    LessonCompletion.objects.bulk_create(
        [LessonCompletion(enrollment=enrollment, lesson=lesson) for lesson in required[:-1]],
        ignore_conflicts=True,
    )
    Enrollment.objects.filter(pk=enrollment.pk).update(
        completed_count=len(required) - 1,
        required_total=len(required),
        percent=(len(required) - 1) * 100 // len(required),
    )
    return required[-1]


def _next_text_lesson(enrollment: Enrollment, lessons: list[Lesson]) -> Lesson:
    """The first lesson the learner has not completed among those a request completes."""
    done = set(
        LessonCompletion.objects.filter(enrollment=enrollment).values_list("lesson_id", flat=True)
    )
    return next(lesson for lesson in lessons if lesson.kind == "text" and lesson.pk not in done)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "case", ["next_lesson", "reaching_100_percent", "held_by_the_grade", "already_completed"]
)
def test_raw_lesson_complete_makes_the_same_writes_as_real(data: dict[str, Any], case: str) -> None:
    enrollment = data["enrollment"]
    lessons = lessons_of(data["course"])
    if case == "next_lesson":
        lesson = _next_text_lesson(enrollment, lessons)
    elif case in ("reaching_100_percent", "held_by_the_grade"):
        # A second pair: another learner of another course.
        enrollment = (
            Enrollment.objects.filter(status="active", completed_count__lt=5)
            .exclude(course=data["course"])
            .select_related("user", "course")
            .order_by("id")[0]
        )
        lesson = _almost_done(enrollment, lessons_of(enrollment.course))
        assert lesson.kind == "text"
        if case == "held_by_the_grade":
            # The course grades something and the learner has no grade yet: at 100 % the
            # enrollment waits (passing grade 70, docs/decisions/0014-completion-rules.md).
            category = default_category(course_id=enrollment.course_id, kind="assignments")
            manual_item_create(
                course_id=enrollment.course_id, title="Oral exam",
                points_possible=Decimal(10), category=category, by=None,
            )  # fmt: skip
    else:
        lesson = lessons[0]
    client = client_for(enrollment.user)
    before = _state(enrollment.pk)

    def complete(prefix: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
        response = client.post(f"{prefix}lessons/{lesson.pk}/complete/")
        return response.status_code, response.json(), _state(enrollment.pk)

    real_status, real_body, real_state = _in_savepoint(lambda: complete("/api/v1/"))
    raw_status, raw_body, raw_state = _in_savepoint(lambda: complete("/bench/raw/"))

    assert real_status == raw_status == 200, (real_body, raw_body)
    assert _shape(raw_body) == _shape(real_body)
    assert raw_state["rollup"] == real_state["rollup"]
    assert raw_state["completions"] == real_state["completions"]
    assert raw_state["completed_at"] == real_state["completed_at"]
    assert raw_state["outbox"] == real_state["outbox"]
    assert raw_state["last_activity_at"] != before["last_activity_at"]
    assert real_state["last_activity_at"] != before["last_activity_at"]
    # Each case really is the case it names.
    created = case != "already_completed"
    assert real_body["data"]["created"] is created
    assert (real_state["completions"] - before["completions"]) == (
        {lesson.pk} if created else set()
    )
    if case == "held_by_the_grade":
        assert real_state["rollup"]["percent"] == 100
    if case == "reaching_100_percent":
        assert real_state["rollup"]["status"] == "completed"
        assert real_state["outbox"] == [
            {
                "enrollment_id": enrollment.pk,
                "user_id": enrollment.user_id,
                "course_id": enrollment.course_id,
            }
        ]
    else:
        assert real_state["rollup"]["status"] == "active" and not real_state["outbox"]
    # And the savepoints really undid each run.
    assert _state(enrollment.pk) == before


@pytest.mark.postgres
def test_raw_lesson_complete_follows_the_completion_rules_as_real(data: dict[str, Any]) -> None:
    """A video not watched far enough, a quiz lesson and an assignment lesson answer the
    same 409 and write nothing; a video watched far enough completes the same way."""
    enrollment = data["enrollment"]
    client = client_for(data["learner"])
    lessons = lessons_of(data["course"])
    done = set(
        LessonCompletion.objects.filter(enrollment=enrollment).values_list("lesson_id", flat=True)
    )
    video = next(lesson for lesson in lessons if lesson.kind == "video" and lesson.pk not in done)
    module = lessons[0].module
    position = Lesson.objects.filter(module=module).count()
    quiz_lesson = Lesson.objects.create(module=module, title="Q", kind="quiz", position=position)
    work_lesson = Lesson.objects.create(
        module=module, title="A", kind="assignment", position=position + 1
    )
    quiz = Quiz.objects.create(
        course=data["course"], lesson=quiz_lesson, title="Q", published=True,
        passing_score_percent=Decimal("60"),
    )  # fmt: skip
    work = Assignment.objects.create(
        course=data["course"], lesson=work_lesson, title="A", complete_on="pass",
        pass_percent=Decimal("50"), points_possible=Decimal(10), is_published=True,
    )  # fmt: skip
    before = _state(enrollment.pk)
    for lesson, code, extra in (
        (video, "video_not_watched", {"watched_seconds": 0, "video_percent": 90}),
        (quiz_lesson, "completes_with_quiz", {"rule": "quiz_pass", "activity_id": quiz.pk}),
        (
            work_lesson,
            "completes_with_assignment",
            {"rule": "assignment_pass", "activity_id": work.pk},
        ),
    ):
        real, raw = both(client, f"lessons/{lesson.pk}/complete/", method="post")
        assert real.status_code == raw.status_code == 409, (real.content, raw.content)
        assert problem(raw) == problem(real)
        assert problem(real)["code"] == code
        assert extra.items() <= problem(real).items()
        assert _state(enrollment.pk) == before
    # Watched (the heartbeats' row), the request completes it: the same writes.
    LessonProgress.objects.create(
        enrollment=enrollment, lesson=video, watched_seconds=video.duration_minutes * 60
    )

    def complete(prefix: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
        response = client.post(f"{prefix}lessons/{video.pk}/complete/")
        return response.status_code, response.json(), _state(enrollment.pk)

    real_status, real_body, real_state = _in_savepoint(lambda: complete("/api/v1/"))
    raw_status, raw_body, raw_state = _in_savepoint(lambda: complete("/bench/raw/"))
    assert real_status == raw_status == 200, (real_body, raw_body)
    assert _shape(raw_body) == _shape(real_body)
    assert (
        raw_state["completions"] == real_state["completions"] == before["completions"] | {video.pk}
    )


@pytest.mark.postgres
def test_raw_lesson_complete_refusals_match_real(data: dict[str, Any]) -> None:
    lessons = lessons_of(data["course"])
    rest = f"lessons/{lessons[3].pk}/complete/"
    for client, status in (
        (APIClient(), 401),
        (client_for(data["outsider"]), 404),
        (client_for(data["owner"]), 403),  # the team opens lessons but holds no seat
    ):
        real, raw = both(client, rest, method="post")
        assert real.status_code == raw.status_code == status
        assert problem(raw) == problem(real)
        assert raw.get("WWW-Authenticate") == real.get("WWW-Authenticate")
    assert_same(client_for(data["learner"]), rest, status=405)  # a GET
    # A body: refused field by field (the action takes none), or as a whole.
    learner = client_for(data["learner"])
    for body in ('{"completed": true, "at": 1}', "[1]", "{not json"):
        real = learner.post(f"/api/v1/{rest}", body, content_type="application/json")
        raw = learner.post(f"/bench/raw/{rest}", body, content_type="application/json")
        assert real.status_code == raw.status_code == 400, (body, real.content)
        assert problem(raw) == problem(real)
    Enrollment.objects.filter(pk=data["enrollment"].pk).update(status="dropped")
    real, raw = both(client_for(data["learner"]), rest, method="post")
    assert real.status_code == raw.status_code == 404  # no seat: not disclosed
    assert problem(raw) == problem(real)


# --- naive twins ---------------------------------------------------------------------------


def _items(body: dict[str, Any]) -> int:
    """How many items a body carries: list entries, or an outline's lessons."""
    data = body["data"]
    if isinstance(data, list):
        return len(data)
    if "modules" in data:
        return sum(len(module["lessons"]) for module in data["modules"])
    return 1


@pytest.mark.postgres
def test_naive_twins_answer_200_with_the_same_item_counts(data: dict[str, Any]) -> None:
    slug = data["course"].slug
    lessons = lessons_of(data["course"])
    learner = client_for(data["learner"])
    cases = [
        (APIClient(), "courses/"),
        (APIClient(), f"courses/?search={data['course'].title.split()[1]}"),
        (APIClient(), f"courses/?category={data['course'].category.slug}"),
        (APIClient(), f"courses/{slug}/"),
        (learner, f"courses/{slug}/outline/"),
        (learner, "enrollments/"),
        (learner, f"lessons/{lessons[1].pk}/"),
        (client_for(data["owner"]), f"courses/{slug}/enrollments/"),
    ]
    for client, rest in cases:
        real = client.get(f"/api/v1/{rest}")
        naive = client.get(f"/bench/naive/{rest}")
        assert real.status_code == naive.status_code == 200, (rest, naive.content)
        assert _items(naive.json()) == _items(real.json()), rest
        assert _items(real.json()) > 0

    # The naive outline computes the same lesson states, lesson by lesson.
    def states(body: dict[str, Any]) -> list[Any]:
        return [
            lesson["state"] for module in body["data"]["modules"] for lesson in module["lessons"]
        ]

    real = learner.get(f"/api/v1/courses/{slug}/outline/").json()
    assert states(learner.get(f"/bench/naive/courses/{slug}/outline/").json()) == states(real)

    pending = _next_text_lesson(data["enrollment"], lessons)
    response = learner.post(f"/bench/naive/lessons/{pending.pk}/complete/")
    assert response.status_code == 200
    assert response.json()["data"]["created"] is True
    assert LessonCompletion.objects.filter(enrollment=data["enrollment"], lesson=pending).exists()
