"""Modules and lessons: create, update, delete, move. Positions stay dense (0..n-1).

Every change first locks the course row (`SELECT ... FOR UPDATE`), so changes to one
course's structure run one after another; each re-reads positions after taking the lock.
Shifting siblings briefly duplicates a position inside the transaction, which the
DEFERRABLE INITIALLY DEFERRED unique constraints allow on PostgreSQL (they are checked at
commit). SQLite has no deferrable constraints: there the lock and these services are the
only guard.
"""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from courses.cache import course_cache_bump
from courses.markdown import render_markdown
from courses.models import Course, Lesson, Module
from courses.services.common import clean_title, course_touch, field_error, lock_course
from lms.audit.services import audit_log_record
from lms.concurrency import race_point
from lms.errors import ServiceError

LESSON_FIELDS = frozenset(
    {
        "title",
        "kind",
        "body",
        "video_url",
        "file",
        "link_url",
        "duration_minutes",
        "is_preview",
        "required_for_completion",
        "release_at",
        "release_after_days",
        "requires_prerequisites",
    }
)
# The field each kind needs, and which it alone may carry.
KIND_FIELDS = {
    Lesson.Kind.VIDEO: "video_url",
    Lesson.Kind.FILE: "file",
    Lesson.Kind.LINK: "link_url",
}
WEB_SCHEMES = ("http://", "https://")
# Between reading the course's outline and writing the new order (tests hold threads here).
OUTLINE_REORDER_CHECKED = "courses.outline_reorder_checked"


def _position_error(limit: int) -> ValidationError:
    return field_error(
        "position", f"Ensure this value is between 0 and {limit}.", "position_out_of_range"
    )


def _check_position(position: int | None, *, limit: int) -> int:
    """`limit` is the largest position allowed; None means the end."""
    if position is None:
        return limit
    if position < 0 or position > limit:
        raise _position_error(limit)
    return position


def _ensure_lessons_remain(course: Course) -> None:
    if (
        course.status == Course.Status.PUBLISHED
        and not Lesson.objects.filter(module__course_id=course.pk).exists()
    ):
        raise ServiceError(
            "published_course_needs_lessons",
            "A published course keeps at least one lesson; archive it instead.",
        )


# --- modules ---------------------------------------------------------------------------


@transaction.atomic
def module_create(*, course: Course, title: str, position: int | None = None) -> Module:
    """At `position` (later modules move down), or at the end."""
    lock_course(course.pk)
    count = Module.objects.filter(course_id=course.pk).count()
    position = _check_position(position, limit=count)
    title = clean_title(title)
    Module.objects.filter(course_id=course.pk, position__gte=position).update(
        position=F("position") + 1
    )
    module = Module(course_id=course.pk, title=title, position=position)
    module.full_clean(exclude=["course"], validate_constraints=False)
    module.save()
    course_touch(course.pk)
    return module


@transaction.atomic
def module_update(*, module: Module, title: str) -> Module:
    lock_course(module.course_id)
    module.title = clean_title(title)
    module.full_clean(exclude=["course", "position"], validate_constraints=False)
    module.save(update_fields=["title"])
    course_touch(module.course_id)
    return module


@transaction.atomic
def module_delete(*, module: Module) -> None:
    """Deletes the module with its lessons; later modules move up."""
    course = lock_course(module.course_id)
    current = Module.objects.get(pk=module.pk)
    current.delete()
    Module.objects.filter(course_id=course.pk, position__gt=current.position).update(
        position=F("position") - 1
    )
    _ensure_lessons_remain(course)
    course_touch(course.pk)


@transaction.atomic
def module_move(*, module: Module, position: int) -> Module:
    lock_course(module.course_id)
    current = Module.objects.get(pk=module.pk)
    count = Module.objects.filter(course_id=current.course_id).count()
    position = _check_position(position, limit=count - 1)
    _shift_within(Module.objects.filter(course_id=current.course_id), current.position, position)
    Module.objects.filter(pk=current.pk).update(position=position)
    current.position = position
    course_touch(current.course_id)
    return current


def _shift_within(siblings: Any, old: int, new: int) -> None:
    """Make room at `new` for the item leaving `old` (same parent)."""
    if new < old:
        siblings.filter(position__gte=new, position__lt=old).update(position=F("position") + 1)
    elif new > old:
        siblings.filter(position__gt=old, position__lte=new).update(position=F("position") - 1)


# --- lessons ---------------------------------------------------------------------------


def _apply_lesson_fields(lesson: Lesson, fields: dict[str, Any]) -> None:
    unknown = set(fields) - LESSON_FIELDS
    if unknown:
        raise TypeError(f"Not lesson fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        if name == "title":
            value = clean_title(value)
        elif name == "body":
            value = str(value or "")
            lesson.body_html = render_markdown(value)
        elif name in ("video_url", "link_url"):
            value = str(value or "").strip()
        elif name == "file" and value is None:
            value = ""
        setattr(lesson, name, value)
    # Fields of other kinds are dropped, so a lesson never carries stale content.
    for kind, field in KIND_FIELDS.items():
        if lesson.kind != kind:
            setattr(lesson, field, "")


def _validate_lesson(lesson: Lesson) -> None:
    lesson.full_clean(exclude=["module", "position", "file"], validate_constraints=False)
    needed = KIND_FIELDS.get(lesson.kind)  # type: ignore[call-overload]
    if needed and not getattr(lesson, needed):
        raise field_error(needed, f"A {lesson.kind} lesson needs this field.", "required")
    for name in ("video_url", "link_url"):
        value = getattr(lesson, name)
        if value and not value.lower().startswith(WEB_SCHEMES):
            raise field_error(name, "Use an http or https address.", "invalid_scheme")


@transaction.atomic
def lesson_create(
    *,
    module: Module,
    title: str,
    kind: str = Lesson.Kind.TEXT,
    position: int | None = None,
    **fields: Any,
) -> Lesson:
    """At `position` in the module (later lessons move down), or at the end."""
    lock_course(module.course_id)
    count = Lesson.objects.filter(module_id=module.pk).count()
    position = _check_position(position, limit=count)
    lesson = Lesson(module=module, position=position)
    _apply_lesson_fields(lesson, {"title": title, "kind": kind, **fields})
    _validate_lesson(lesson)
    Lesson.objects.filter(module_id=module.pk, position__gte=position).update(
        position=F("position") + 1
    )
    lesson.save()
    course_touch(module.course_id)
    return lesson


@transaction.atomic
def lesson_update(*, lesson: Lesson, **fields: Any) -> Lesson:
    """Changes the given fields (`file=None` removes the file). Changing `kind` drops the
    fields only the old kind used. Moves go through lesson_move."""
    course_id = Module.objects.values_list("course_id", flat=True).get(pk=lesson.module_id)
    lock_course(course_id)
    _apply_lesson_fields(lesson, fields)
    lesson.updated_at = timezone.now()
    _validate_lesson(lesson)
    # Never module or position: a concurrent move may have changed them since `lesson`
    # was read, and only lesson_move writes them (under the lock).
    lesson.save(update_fields=[*LESSON_FIELDS, "body_html", "updated_at"])
    course_touch(course_id)
    return lesson


@transaction.atomic
def lesson_delete(*, lesson: Lesson) -> None:
    course_id = Module.objects.values_list("course_id", flat=True).get(pk=lesson.module_id)
    course = lock_course(course_id)
    current = Lesson.objects.get(pk=lesson.pk)
    current.delete()
    Lesson.objects.filter(module_id=current.module_id, position__gt=current.position).update(
        position=F("position") - 1
    )
    _ensure_lessons_remain(course)
    course_touch(course_id)


@transaction.atomic
def lesson_move(*, lesson: Lesson, position: int, module: Module | None = None) -> Lesson:
    """To `position` in its module, or in `module` (another module of the same course)."""
    course_id = Module.objects.values_list("course_id", flat=True).get(pk=lesson.module_id)
    lock_course(course_id)
    current = Lesson.objects.get(pk=lesson.pk)
    target_id = module.pk if module is not None else current.module_id
    if module is not None and module.course_id != course_id:
        raise field_error("module", "The module belongs to another course.", "does_not_exist")
    if target_id == current.module_id:
        count = Lesson.objects.filter(module_id=target_id).count()
        position = _check_position(position, limit=count - 1)
        _shift_within(Lesson.objects.filter(module_id=target_id), current.position, position)
    else:
        count = Lesson.objects.filter(module_id=target_id).count()
        position = _check_position(position, limit=count)
        Lesson.objects.filter(module_id=current.module_id, position__gt=current.position).update(
            position=F("position") - 1
        )
        Lesson.objects.filter(module_id=target_id, position__gte=position).update(
            position=F("position") + 1
        )
    Lesson.objects.filter(pk=current.pk).update(
        module_id=target_id, position=position, updated_at=timezone.now()
    )
    current.refresh_from_db()
    course_touch(course_id)
    return current


# --- the whole outline at once ----------------------------------------------------------

OutlineOrder = Sequence[tuple[int, Sequence[int]]]


def _check_order_shape(modules: OutlineOrder) -> list[tuple[int, list[int]]]:
    """Ids as ints, each at most once; a malformed order is a 400, not a stale one."""
    order: list[tuple[int, list[int]]] = []
    seen_modules: set[int] = set()
    seen_lessons: set[int] = set()
    for module_id, lesson_ids in modules:
        if type(module_id) is not int or any(type(i) is not int for i in lesson_ids):
            raise field_error("modules", "Ids are whole numbers.", "invalid")
        if module_id in seen_modules or seen_lessons.intersection(lesson_ids):
            raise field_error("modules", "Each module and lesson appears once.", "duplicate")
        if len(set(lesson_ids)) != len(lesson_ids):
            raise field_error("modules", "Each module and lesson appears once.", "duplicate")
        seen_modules.add(module_id)
        seen_lessons.update(lesson_ids)
        order.append((module_id, list(lesson_ids)))
    return order


@transaction.atomic
def course_outline_reorder(*, course: Course, modules: OutlineOrder, by: Any = None) -> bool:
    """Puts the course's modules, and the lessons in each (moving lessons between modules
    as given), in the order given: `modules` is every module of the course as
    (module_id, [lesson_id, ...]) in the new order. The ids must be exactly the course's
    (each module and lesson once): an order read before someone added, deleted or moved
    something is refused whole (409 `outline_changed`), never half-applied. Positions stay
    dense. Returns whether anything moved (nothing moved: no write, no audit entry)."""
    order = _check_order_shape(modules)
    lock_course(course.pk)
    module_rows = list(
        Module.objects.filter(course_id=course.pk).order_by("position").values_list("pk", flat=True)
    )
    lesson_rows = list(
        Lesson.objects.filter(module__course_id=course.pk)
        .order_by("module__position", "position")
        .values_list("pk", "module_id", "position")
    )
    lessons_of: dict[int, list[int]] = {module_id: [] for module_id in module_rows}
    for pk, module_id, _ in lesson_rows:
        lessons_of[module_id].append(pk)
    before = list(lessons_of.items())
    given_lessons = {lesson_id for _, ids in order for lesson_id in ids}
    if {m for m, _ in order} != set(module_rows) or given_lessons != {
        pk for pk, _, _ in lesson_rows
    }:
        raise ServiceError(
            "outline_changed",
            "The course's modules or lessons changed since this order was read: nothing "
            "was saved. Reload the outline and try again.",
        )
    race_point(OUTLINE_REORDER_CHECKED)
    if order == before:
        return False

    _write_module_positions(module_rows, [m for m, _ in order])
    _write_lesson_places(lesson_rows, order)
    course_touch(course.pk)
    audit_log_record(
        actor=by,
        action="course.outline_reordered",
        target=course,
        changes={"outline": [_plain(before), _plain(order)]},
    )
    return True


def _plain(order: list[tuple[int, list[int]]]) -> list[list[Any]]:
    return [[module_id, lesson_ids] for module_id, lesson_ids in order]


def _write_module_positions(current: list[int], wanted: list[int]) -> None:
    """Two UPDATEs, so no (course, position) pair is ever taken twice, even where the
    unique constraint is checked per row (SQLite): the modules that move first go past
    the end (n + index), then to their places."""
    moving = [Module(pk=pk, position=new) for new, pk in enumerate(wanted) if current[new] != pk]
    _two_step(Module, moving, offset=len(current), fields=["position"])


def _write_lesson_places(
    current: list[tuple[int, int, int]], order: list[tuple[int, list[int]]]
) -> None:
    """Like _write_module_positions, for the (module, position) of the lessons that move."""
    was = {pk: (module_id, position) for pk, module_id, position in current}
    now = timezone.now()
    moving = [
        Lesson(pk=pk, module_id=module_id, position=position, updated_at=now)
        for module_id, lesson_ids in order
        for position, pk in enumerate(lesson_ids)
        if was[pk] != (module_id, position)
    ]
    _two_step(Lesson, moving, offset=len(current), fields=["module", "position", "updated_at"])


def _two_step(model: Any, rows: list[Any], *, offset: int, fields: list[str]) -> None:
    if not rows:
        return
    final = [row.position for row in rows]
    for index, row in enumerate(rows):
        row.position = offset + index  # past every position in use: no clash
    model.objects.bulk_update(rows, ["position"])
    for row, position in zip(rows, final, strict=True):
        row.position = position
    model.objects.bulk_update(rows, fields)


def lesson_activity_changed(*, course_id: int) -> None:
    """For the apps that own lesson activities (quizzes, assignments): one of the course's
    activities was linked to a lesson, unlinked, published or unpublished, or deleted.
    Lessons and outlines carry `activity_id` (courses.selectors.lesson_activity_ids), so
    the course's cached outline is read afresh; catalogue pages do not show it."""
    course_cache_bump(course_id, catalogue=False)
