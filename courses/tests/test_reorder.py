"""The whole outline in one step: courses.services.course_outline_reorder and its API
(POST /api/v1/courses/{slug}/outline/reorder/). Valid orders within and across modules,
stale and foreign ids refused whole, malformed input, the audit entry, the cached
outline, and two reorders racing on PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError

from courses import selectors, services
from courses.models import Course, Lesson, Module
from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from lms.audit.models import AuditLog
from lms.errors import ServiceError
from lms.testing import Cast, run_together, unchanged

pytestmark = pytest.mark.django_db

Order = list[tuple[int, list[int]]]


def build(course: Course, shape: dict[str, list[str]]) -> None:
    for title, lessons in shape.items():
        module = ModuleFactory(course=course, title=title)
        for lesson_title in lessons:
            LessonFactory(module=module, title=lesson_title)


def outline_titles(course: Course) -> list[tuple[str, list[str]]]:
    return [
        (m.title, list(m.lessons.order_by("position").values_list("title", flat=True)))
        for m in Module.objects.filter(course=course).order_by("position")
    ]


def assert_dense(course: Course) -> None:
    modules = list(Module.objects.filter(course=course).order_by("position"))
    assert [m.position for m in modules] == list(range(len(modules)))
    for module in modules:
        got = list(module.lessons.order_by("position").values_list("position", flat=True))
        assert got == list(range(len(got)))


def ids(course: Course) -> dict[str, int]:
    """Module and lesson ids by title."""
    found = dict(Module.objects.filter(course=course).values_list("title", "pk"))
    found.update(Lesson.objects.filter(module__course=course).values_list("title", "pk"))
    return found


def order_by_titles(course: Course, wanted: list[tuple[str, list[str]]]) -> Order:
    by_title = ids(course)
    return [(by_title[m], [by_title[t] for t in lessons]) for m, lessons in wanted]


@pytest.fixture
def course(team: Cast) -> Course:
    course = CourseFactory(owner=team.owner)
    build(course, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"], "C": []})
    return course


def snapshot(course: Course) -> tuple[list[tuple[int, int]], list[tuple[int, int, int]]]:
    """(module id, position) and (lesson id, module id, position) rows of the course."""
    return (
        list(Module.objects.filter(course=course).order_by("pk").values_list("pk", "position")),
        list(
            Lesson.objects.filter(module__course=course)
            .order_by("pk")
            .values_list("pk", "module_id", "position")
        ),
    )


# --- the service -----------------------------------------------------------------------------


def test_modules_and_lessons_move_within_and_across_modules(team: Cast, course: Course):
    wanted = [("C", ["a3"]), ("A", ["a2", "b2", "a1"]), ("B", ["b1"])]
    moved_lesson = Lesson.objects.get(title="a3")

    changed = services.course_outline_reorder(
        course=course, modules=order_by_titles(course, wanted), by=team.owner
    )

    assert changed is True
    assert outline_titles(course) == wanted
    assert_dense(course)
    assert Lesson.objects.get(pk=moved_lesson.pk).updated_at > moved_lesson.updated_at
    entry = AuditLog.objects.get(action="course.outline_reordered")
    assert (entry.actor_id, entry.target_id) == (team.owner.pk, str(course.pk))
    before, after = entry.changes["outline"]
    assert after == [[m, lessons] for m, lessons in order_by_titles(course, wanted)]
    assert before != after


def test_a_module_can_be_emptied_into_another(course: Course):
    wanted = [("A", []), ("B", ["b1", "a1", "b2", "a2", "a3"]), ("C", [])]

    services.course_outline_reorder(course=course, modules=order_by_titles(course, wanted))

    assert outline_titles(course) == wanted
    assert_dense(course)


def test_the_same_order_writes_nothing(course: Course):
    current = order_by_titles(course, outline_titles(course))
    course.refresh_from_db()

    with unchanged(course, counts=(Module, Lesson, AuditLog)):
        assert services.course_outline_reorder(course=course, modules=current) is False


@pytest.mark.parametrize(
    "change",
    ["lesson_missing", "lesson_added_since", "lesson_deleted_since", "module_missing",
     "module_added_since"],
)  # fmt: skip
def test_a_stale_order_is_refused_whole(course: Course, change: str):
    order = order_by_titles(course, [("B", ["a1", "b1", "b2"]), ("A", ["a2", "a3"]), ("C", [])])
    if change == "lesson_missing":
        order[1][1].remove(ids(course)["a3"])
    elif change == "lesson_added_since":
        LessonFactory(module=Module.objects.get(title="C"), title="c1")
    elif change == "lesson_deleted_since":
        services.lesson_delete(lesson=Lesson.objects.get(title="a2"))
    elif change == "module_missing":
        order.pop()
    else:
        ModuleFactory(course=course, title="D")
    before = snapshot(course)

    with pytest.raises(ServiceError) as refused:
        services.course_outline_reorder(course=course, modules=order)

    assert refused.value.code == "outline_changed"
    assert refused.value.status == 409
    assert snapshot(course) == before
    assert not AuditLog.objects.filter(action="course.outline_reordered").exists()


def test_ids_of_another_course_are_refused_and_nothing_moves(team: Cast, course: Course):
    other = CourseFactory(owner=team.other_instructor)
    build(other, {"X": ["x1"]})
    foreign = ids(other)
    mine = order_by_titles(course, [("B", ["b1", "b2"]), ("A", ["a1", "a2", "a3"]), ("C", [])])
    with_foreign_lesson = [(m, [*lessons]) for m, lessons in mine]
    with_foreign_lesson[2][1].append(foreign["x1"])
    with_foreign_module = [*mine, (foreign["X"], [])]
    swapped_module = [(foreign["X"], lessons) if m == ids(course)["C"] else (m, lessons)
                      for m, lessons in mine]  # fmt: skip
    before, other_before = snapshot(course), snapshot(other)

    for order in (with_foreign_lesson, with_foreign_module, swapped_module):
        with pytest.raises(ServiceError) as refused:
            services.course_outline_reorder(course=course, modules=order)
        assert refused.value.code == "outline_changed"

    assert (snapshot(course), snapshot(other)) == (before, other_before)


@pytest.mark.parametrize(
    "order",
    [
        [(1, [5, 5])],
        [(1, [5]), (1, [])],
        [(1, [5]), (2, [5])],
        [("1", [5])],
        [(1, [True])],
    ],
)
def test_a_malformed_order_is_a_validation_error(course: Course, order):
    before = snapshot(course)

    with pytest.raises(ValidationError) as refused:
        services.course_outline_reorder(course=course, modules=order)

    assert list(refused.value.error_dict) == ["modules"]
    assert snapshot(course) == before


def test_the_cached_outline_shows_the_new_order(course: Course):
    first = selectors.course_outline(course=course)  # now cached
    assert [m["title"] for m in first["modules"]] == ["A", "B", "C"]

    services.course_outline_reorder(
        course=course, modules=order_by_titles(course, [("C", []), ("B", ["b2", "b1"]),
                                                        ("A", ["a1", "a2", "a3"])]),
    )  # fmt: skip

    fresh = selectors.course_outline(course=course)
    assert [m["title"] for m in fresh["modules"]] == ["C", "B", "A"]
    assert [lesson["title"] for lesson in fresh["modules"][1]["lessons"]] == ["b2", "b1"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reorders_at_once_apply_one_after_the_other():
    """Both callers read the same outline; each is held after its check until the other
    has checked too, unless the course lock makes the second wait for the first to
    commit. With the lock: both apply, in turn, and the outline is exactly the second
    order. Without it, each writes the rows that differ from the outline it read: a
    mix of the two orders, or a duplicate position at commit."""
    course = CourseFactory()
    build(course, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"], "C": ["c1"]})
    first = order_by_titles(course, [("B", ["a3", "b1"]), ("A", ["a1", "b2"]), ("C", ["c1", "a2"])])
    second = order_by_titles(
        course, [("C", ["a1"]), ("A", ["c1", "a2", "a3"]), ("B", ["b2", "b1"])]
    )

    def reorder(order: Order):
        return lambda: services.course_outline_reorder(course=course, modules=order)

    results = run_together(
        [reorder(first), reorder(second)],
        hold_at=services.OUTLINE_REORDER_CHECKED,
        hold_seconds=1.0,
    )

    assert results == [True, True]
    final = [(m.pk, list(m.lessons.order_by("position").values_list("pk", flat=True)))
             for m in Module.objects.filter(course=course).order_by("position")]  # fmt: skip
    assert final in (first, second)
    assert_dense(course)
    assert AuditLog.objects.filter(action="course.outline_reordered").count() == 2


# --- the API ---------------------------------------------------------------------------------


def api_url(course: Course) -> str:
    return f"/api/v1/courses/{course.slug}/outline/reorder/"


def body(order: Order) -> dict:
    return {"modules": [{"id": m, "lessons": lessons} for m, lessons in order]}


@pytest.mark.parametrize(
    ("actor", "draft", "published"),
    [
        ("anonymous", 401, 401),
        ("student", 404, 403),
        ("ta", 403, 403),
        ("other_instructor", 404, 403),
        ("owner", 200, 200),
        ("instructor", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_the_api_reorder_by_role(team: Cast, make_course, as_user, actor, draft, published):
    for course, expected in ((make_course(), draft), (make_course(published=True), published)):
        build(course, {"Second": []})
        current = order_by_titles(course, outline_titles(course))
        wanted = list(reversed(current))

        response = as_user(team.user(actor)).post(api_url(course), body(wanted), format="json")

        assert response.status_code == expected, (actor, response.content)
        moved = Module.objects.get(course=course, title="Second").position == 0
        assert moved == (expected == 200)
        if expected == 200:
            outline = response.json()["data"]
            assert [m["id"] for m in outline["modules"]] == [m for m, _ in wanted]
            assert outline["course"] == course.slug


def test_the_api_answers_409_for_a_stale_order(team: Cast, course: Course, as_user):
    order = order_by_titles(course, outline_titles(course))
    order[0][1].pop()
    before = snapshot(course)

    response = as_user(team.owner).post(api_url(course), body(order), format="json")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "outline_changed"
    assert snapshot(course) == before


@pytest.mark.parametrize(
    ("payload", "attr"),
    [
        ({"modules": [{"id": 1, "lessons": [2]}], "extra": 1}, "extra"),
        ({"modules": [{"id": 1, "lessons": [2], "title": "x"}]}, "modules.0.title"),
        ({"modules": [{"id": "one", "lessons": []}]}, "modules.0.id"),
        ({"modules": [{"id": 1, "lessons": ["x"]}]}, "modules.0.lessons.0"),
        ({}, "modules"),
    ],
)
def test_the_api_refuses_malformed_bodies(team: Cast, course: Course, as_user, payload, attr):
    before = snapshot(course)

    response = as_user(team.owner).post(api_url(course), payload, format="json")

    assert response.status_code == 400, response.content
    assert attr in [error["attr"] for error in response.json()["errors"]]
    assert snapshot(course) == before


def test_the_api_refuses_duplicate_ids(team: Cast, course: Course, as_user):
    order = order_by_titles(course, outline_titles(course))
    order[1][1].append(order[0][1][0])

    response = as_user(team.owner).post(api_url(course), body(order), format="json")

    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("modules", "duplicate")]
