"""Modules and lessons: CRUD, kinds, reorders with dense positions, foreign ids, content
visibility, and concurrent reorders on PostgreSQL."""

import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from courses import services
from courses.models import Lesson, Module
from courses.permissions import register_learner_check
from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from lms.testing import unchanged

pytestmark = pytest.mark.django_db


def positions(course) -> list[tuple[str, list[str]]]:
    return [
        (m.title, [lesson.title for lesson in m.lessons.order_by("position")])
        for m in Module.objects.filter(course=course).order_by("position")
    ]


def assert_dense(course) -> None:
    modules = list(Module.objects.filter(course=course).order_by("position"))
    assert [m.position for m in modules] == list(range(len(modules)))
    for module in modules:
        got = list(module.lessons.order_by("position").values_list("position", flat=True))
        assert got == list(range(len(got)))


@pytest.fixture
def course(team, make_course):
    course = make_course()
    Module.objects.filter(course=course).update(title="A")
    Lesson.objects.filter(module__course=course).update(title="a1")
    return course


def test_modules_crud_and_reorder(course, team, as_user):
    client = as_user(team.instructor)
    base = f"/api/v1/courses/{course.slug}/modules/"
    assert client.post(base, {"title": "C"}).json()["data"]["position"] == 1
    inserted = client.post(base, {"title": "B", "position": 1}).json()["data"]
    assert inserted["position"] == 1
    assert [m["title"] for m in client.get(base).json()["data"]] == ["A", "B", "C"]
    assert errors(client.post(base, {"title": "Z", "position": 9})) == {
        "position": "position_out_of_range"
    }
    module_a = Module.objects.get(course=course, title="A")
    moved = client.post(f"{base}{module_a.pk}/reorder/", {"position": 2})
    assert [m["title"] for m in moved.json()["data"]] == ["B", "C", "A"]
    assert errors(client.post(f"{base}{module_a.pk}/reorder/", {"position": 3})) == {
        "position": "position_out_of_range"
    }
    assert (
        client.patch(f"{base}{inserted['id']}/", {"title": "Bee"}).json()["data"]["title"] == "Bee"
    )
    assert client.delete(f"{base}{inserted['id']}/").status_code == 204
    assert positions(course) == [("C", []), ("A", ["a1"])]
    assert_dense(course)


def test_lessons_crud_reorder_and_move_between_modules(course, team, as_user):
    client = as_user(team.owner)
    base = f"/api/v1/courses/{course.slug}/lessons/"
    module_a = Module.objects.get(course=course)
    module_b = ModuleFactory(course=course, title="B")
    for title in ("a2", "a3"):
        assert client.post(base, {"module": module_a.pk, "title": title}).status_code == 201
    first = client.post(base, {"module": module_a.pk, "title": "a0", "position": 0}).json()["data"]
    assert positions(course) == [("A", ["a0", "a1", "a2", "a3"]), ("B", [])]

    moved = client.post(f"{base}{first['id']}/reorder/", {"position": 3})
    assert moved.status_code == 200 and moved.json()["data"]["position"] == 3
    assert positions(course) == [("A", ["a1", "a2", "a3", "a0"]), ("B", [])]
    a2 = Lesson.objects.get(title="a2")
    across = client.post(f"{base}{a2.pk}/reorder/", {"position": 0, "module": module_b.pk})
    assert across.json()["data"]["module"] == module_b.pk
    assert positions(course) == [("A", ["a1", "a3", "a0"]), ("B", ["a2"])]
    assert client.delete(f"{base}{Lesson.objects.get(title='a3').pk}/").status_code == 204
    assert positions(course) == [("A", ["a1", "a0"]), ("B", ["a2"])]
    listed = client.get(base).json()["data"]
    assert [item["title"] for item in listed] == ["a1", "a0", "a2"]
    only_b = client.get(base, {"module": module_b.pk}).json()["data"]
    assert [item["title"] for item in only_b] == ["a2"]
    assert errors(client.get(base, {"module": "b"})) == {"module": "invalid"}
    assert_dense(course)


def test_foreign_module_and_lesson_ids_are_404(course, team, make_course, as_user):
    other = make_course()
    foreign_module = Module.objects.get(course=other)
    foreign_lesson = Lesson.objects.get(module__course=other)
    client = as_user(team.owner)
    slug = course.slug
    before = (course, other, foreign_module, foreign_lesson)
    for method, path in [
        ("get", f"modules/{foreign_module.pk}/"),
        ("patch", f"modules/{foreign_module.pk}/"),
        ("delete", f"modules/{foreign_module.pk}/"),
        ("post", f"modules/{foreign_module.pk}/reorder/"),
        ("get", f"lessons/{foreign_lesson.pk}/"),
        ("patch", f"lessons/{foreign_lesson.pk}/"),
        ("delete", f"lessons/{foreign_lesson.pk}/"),
        ("post", f"lessons/{foreign_lesson.pk}/reorder/"),
        ("get", "lessons/not-a-number/"),
    ]:
        with unchanged(*before, counts=(Module, Lesson)):
            response = getattr(client, method)(
                f"/api/v1/courses/{slug}/{path}", {"title": "x", "position": 0}
            )
        assert response.status_code == 404, (method, path)
    # A foreign module in a body is a validation error, not a way in.
    lesson = Lesson.objects.get(module__course=course)
    body = {"module": foreign_module.pk, "title": "x"}
    assert errors(client.post(f"/api/v1/courses/{slug}/lessons/", body)) == {
        "module": "does_not_exist"
    }
    move = client.post(
        f"/api/v1/courses/{slug}/lessons/{lesson.pk}/reorder/",
        {"position": 0, "module": foreign_module.pk},
    )
    assert errors(move) == {"module": "does_not_exist"}
    assert Lesson.objects.filter(module=foreign_module).count() == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"kind": "video"}, {"video_url": "required"}),
        ({"kind": "link"}, {"link_url": "required"}),
        ({"kind": "file"}, {"file": "required"}),
        ({"kind": "video", "video_url": "ftp://x.test/v"}, {"video_url": "invalid_scheme"}),
        ({"kind": "link", "link_url": "javascript:alert(1)"}, {"link_url": "invalid"}),
        ({"kind": "podcast"}, {"kind": "invalid_choice"}),
        (
            {"release_at": "2030-01-01T00:00:00Z", "release_after_days": 3},
            {"release_after_days": "conflicting_release_rule"},
        ),
        ({"duration_minutes": -1}, {"duration_minutes": "min_value"}),
    ],
)
def test_lesson_validation(body, expected, course, team, as_user):
    module = Module.objects.get(course=course)
    response = as_user(team.owner).post(
        f"/api/v1/courses/{course.slug}/lessons/",
        {"module": module.pk, "title": "T", **body},
        format="json",
    )
    assert errors(response) == expected


def test_lesson_kinds_keep_only_their_fields(course, team, as_user):
    client = as_user(team.owner)
    module = Module.objects.get(course=course)
    base = f"/api/v1/courses/{course.slug}/lessons/"
    video = client.post(
        base,
        {
            "module": module.pk,
            "title": "Video",
            "kind": "video",
            "video_url": "https://video.test/1",
            "release_after_days": 7,
            "is_preview": True,
            "duration_minutes": 12,
        },
    ).json()["data"]
    assert (video["video_url"], video["release_after_days"]) == ("https://video.test/1", 7)
    as_link = client.patch(
        f"{base}{video['id']}/", {"kind": "link", "link_url": "https://example.test/page"}
    ).json()["data"]
    assert (as_link["kind"], as_link["video_url"], as_link["link_url"]) == (
        "link",
        "",
        "https://example.test/page",
    )
    upload = SimpleUploadedFile("notes.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    as_file = client.patch(
        f"{base}{video['id']}/", {"kind": "file", "file": upload}, format="multipart"
    )
    assert as_file.status_code == 200, as_file.content
    data = as_file.json()["data"]
    assert data["link_url"] == "" and data["file"].endswith(".pdf")
    html = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html")
    rejected = client.post(
        base, {"module": module.pk, "title": "F", "kind": "file", "file": html}, format="multipart"
    )
    assert errors(rejected) == {"file": "invalid_extension"}


def test_lesson_content_is_locked_for_outsiders(team, make_course, as_user):
    course = make_course(published=True)
    locked = Lesson.objects.get(module__course=course)
    preview = LessonFactory(module=locked.module, is_preview=True, body="**Free**")
    base = f"/api/v1/courses/{course.slug}/lessons/"

    student = as_user(team.student)
    items = {item["id"]: item for item in student.get(base).json()["data"]}
    assert items[locked.pk]["content_locked"] is True
    assert items[locked.pk]["body_html"] is None and items[locked.pk]["body"] is None
    assert items[preview.pk]["content_locked"] is False
    assert items[preview.pk]["body_html"] == "<p><strong>Free</strong></p>\n"
    assert as_user(team.ta).get(f"{base}{locked.pk}/").json()["data"]["content_locked"] is False

    # The enrollments app registers who is a learner; then the content opens up.
    def enrolled(user, checked_course):
        return user.pk == team.student.pk and checked_course.pk == course.pk

    from courses import permissions

    register_learner_check(enrolled)
    try:
        assert student.get(f"{base}{locked.pk}/").json()["data"]["content_locked"] is False
        other = as_user(team.other_instructor).get(f"{base}{locked.pk}/")
        assert other.json()["data"]["content_locked"] is True
    finally:
        permissions._learner_checks.remove(enrolled)


def test_quiz_and_assignment_lessons_carry_their_activity_id(
    team, make_course, as_user, django_assert_num_queries
):
    """Through the quizzes and assignments APIs: attaching an activity to a lesson shows
    its id on the lesson and in the (cached) outline; detaching it clears it."""
    course = make_course(published=True)
    module = Module.objects.get(course=course)
    text = Lesson.objects.get(module=module)
    owner = as_user(team.owner)
    base = f"/api/v1/courses/{course.slug}/"
    quiz_lesson, work_lesson = (
        owner.post(f"{base}lessons/", {"module": module.pk, "title": kind, "kind": kind}).json()[
            "data"
        ]["id"]
        for kind in ("quiz", "assignment")
    )
    reader = as_user(None)

    def outline_ids() -> dict[int, int | None]:
        data = reader.get(f"{base}outline/").json()["data"]
        return {item["id"]: item["activity_id"] for m in data["modules"] for item in m["lessons"]}

    assert outline_ids() == {text.pk: None, quiz_lesson: None, work_lesson: None}  # now cached

    quiz = owner.post(f"{base}quizzes/", {"title": "Check", "lesson": quiz_lesson}, format="json")
    assert quiz.status_code == 201, quiz.content
    quiz_id = quiz.json()["data"]["id"]
    work = owner.post(f"{base}assignments/", {"title": "Essay", "lesson": work_lesson})
    assert work.status_code == 201, work.content
    work_id = work.json()["data"]["id"]

    assert outline_ids() == {text.pk: None, quiz_lesson: quiz_id, work_lesson: work_id}
    # auth, course with role, lessons, then one query per activity kind present
    with django_assert_num_queries(5):
        listed = owner.get(f"{base}lessons/").json()["data"]
    assert {item["id"]: item["activity_id"] for item in listed} == {
        text.pk: None,
        quiz_lesson: quiz_id,
        work_lesson: work_id,
    }
    lesson = reader.get(f"{base}lessons/{quiz_lesson}/").json()["data"]
    assert (lesson["kind"], lesson["activity_id"]) == ("quiz", quiz_id)

    detached = owner.patch(f"/api/v1/quizzes/{quiz_id}/", {"lesson": None}, format="json")
    assert detached.status_code == 200, detached.content
    assert owner.delete(f"/api/v1/assignments/{work_id}/").status_code == 204
    assert outline_ids() == {text.pk: None, quiz_lesson: None, work_lesson: None}


def errors(response) -> dict[str, str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return {item["attr"]: item["code"] for item in response.json()["errors"]}


# --- concurrency (PostgreSQL) ----------------------------------------------------------


def _hammer(worker, *, threads: int = 4) -> list[BaseException]:
    errors_seen: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def run(seed: int) -> None:
        try:
            barrier.wait(timeout=10)
            worker(random.Random(seed))
        except BaseException as exc:  # reported to the test below
            errors_seen.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(seed,)) for seed in range(threads)]
    connection.close()  # hand the test's connection back to the pool for the workers
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    return errors_seen


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reorders_leave_dense_positions():
    course = CourseFactory()
    module_a = ModuleFactory(course=course)
    module_b = ModuleFactory(course=course)
    for _ in range(6):
        LessonFactory(module=module_a)
        LessonFactory(module=module_b)
    for _ in range(3):
        ModuleFactory(course=course)
    lesson_ids = list(Lesson.objects.filter(module__course=course).values_list("pk", flat=True))
    module_ids = list(Module.objects.filter(course=course).values_list("pk", flat=True))

    moves: list[int] = []

    def worker(rng: random.Random) -> None:
        for _ in range(12):
            try:
                if rng.random() < 0.3:
                    module = Module.objects.get(pk=rng.choice(module_ids))
                    services.module_move(module=module, position=rng.randrange(len(module_ids)))
                else:
                    lesson = Lesson.objects.get(pk=rng.choice(lesson_ids))
                    target = Module.objects.get(pk=rng.choice([module_a.pk, module_b.pk]))
                    size = Lesson.objects.filter(module=target).count()
                    limit = size - 1 if target.pk == lesson.module_id else size
                    services.lesson_move(
                        lesson=lesson, module=target, position=rng.randint(0, max(limit, 0))
                    )
            except ValidationError as exc:
                # Another thread moved lessons between our count and our move: refused
                # cleanly, which is fine; anything else is a failure.
                assert exc.error_dict["position"][0].code == "position_out_of_range"
            else:
                moves.append(1)

    failures = _hammer(worker)
    assert failures == []
    assert len(moves) > 30
    assert_dense(course)
    assert Lesson.objects.filter(module__course=course).count() == 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_append_without_clashing():
    course = CourseFactory()
    module = ModuleFactory(course=course)

    def worker(rng: random.Random) -> None:
        for n in range(5):
            services.lesson_create(module=module, title=f"L{rng.random()}-{n}")

    assert _hammer(worker) == []
    assert_dense(course)
    assert module.lessons.count() == 20
