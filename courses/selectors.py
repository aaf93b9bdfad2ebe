"""Reads with rules: visibility, the catalogue (filters, ordering, search), outlines.

Every list runs a constant number of queries whatever its length: related rows come by
select_related/prefetch_related and counts by subqueries.
"""

import copy
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from courses.cache import catalogue_cache_key, course_cache_key
from courses.models import SEARCH_CONFIG, Category, Course, CourseStaff, Lesson, Module, Tag
from courses.permissions import (
    EDITOR_ROLES,
    PUBLIC_STATUSES,
    can_view_course,
    catalogue_courses_q,
    remember_staff_role,
    teaching_courses_q,
    viewer_role_subquery,
)
from lms.cache import cached, cached_local
from lms.queries import only_row

SCOPES = ("catalogue", "teaching", "all")
# Large columns that permission checks and most views never read: left out of the row
# (read on access if a caller does need them).
HEAVY_FIELDS = ("description", "description_html", "search_vector")
PRICE_CHOICES = ("free", "paid")
ORDERINGS: dict[str, tuple[Any, ...]] = {
    "newest": (F("published_at").desc(nulls_last=True), "-created_at", "-id"),
    "popular": ("-enrollment_count", "-id"),
    "title": ("title", "id"),
    "price": ("price_amount", "id"),
    "-price": ("-price_amount", "id"),
}


@dataclass(frozen=True)
class CourseFilters:
    """Catalogue query; values already validated by the caller (see courses.api)."""

    scope: str = "catalogue"
    category: str | None = None  # slug; a top-level category includes its children
    tag: str | None = None  # slug
    level: str | None = None
    language: str | None = None
    price: str | None = None  # "free" | "paid"
    instructor: int | None = None  # user id of an owner or instructor
    status: str | None = None
    search: str | None = None
    ordering: str | None = None  # a key of ORDERINGS; default newest (rank when searching)


def _count(model: type[Module] | type[Lesson], path: str) -> Coalesce:
    subquery = (
        model.objects.filter(**{path: OuterRef("pk")})
        .order_by()
        .values(path)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(subquery, output_field=IntegerField()), Value(0))


def _with_listing_relations(courses: QuerySet[Course]) -> QuerySet[Course]:
    instructors = (
        CourseStaff.objects.filter(role__in=EDITOR_ROLES).select_related("user").order_by("id")
    )
    return courses.select_related("category__parent").prefetch_related(
        Prefetch("staff", queryset=instructors, to_attr="instructor_members"),
        Prefetch("tags", queryset=Tag.objects.order_by("name", "id")),
    )


def with_counts(courses: QuerySet[Course]) -> QuerySet[Course]:
    return courses.annotate(
        module_count=_count(Module, "course"),
        lesson_count=_count(Lesson, "module__course"),
        duration_minutes=Coalesce(
            Subquery(
                Lesson.objects.filter(module__course=OuterRef("pk"))
                .order_by()
                .values("module__course")
                .annotate(total=Sum("duration_minutes"))
                .values("total"),
                output_field=IntegerField(),
            ),
            Value(0),
        ),
    )


def course_list(*, user: Any, filters: CourseFilters) -> QuerySet[Course]:
    """Courses for a listing. Scopes: `catalogue` (published, everyone), `teaching`
    (the user's teams, any status, with `viewer_role`), `all` (every course: callers
    allow it to admins only)."""
    courses: QuerySet[Any]
    if filters.scope == "teaching":
        courses = Course.objects.filter(teaching_courses_q(user)).annotate(
            viewer_role=Subquery(
                CourseStaff.objects.filter(course=OuterRef("pk"), user_id=user.pk).values("role")[
                    :1
                ]
            )
        )
    elif filters.scope == "all":
        courses = Course.objects.all()
    else:
        courses = Course.objects.filter(catalogue_courses_q())

    if filters.category:
        courses = courses.filter(
            Q(category__slug=filters.category) | Q(category__parent__slug=filters.category)
        )
    if filters.tag:
        courses = courses.filter(
            pk__in=Course.tags.through.objects.filter(tag__slug=filters.tag).values("course_id")
        )
    if filters.level:
        courses = courses.filter(level=filters.level)
    if filters.language:
        courses = courses.filter(language__iexact=filters.language)
    if filters.price == "free":
        courses = courses.filter(price_amount=0)
    elif filters.price == "paid":
        courses = courses.filter(price_amount__gt=0)
    if filters.instructor is not None:
        courses = courses.filter(
            pk__in=CourseStaff.objects.filter(
                user_id=filters.instructor, role__in=EDITOR_ROLES
            ).values("course_id")
        )
    if filters.status:
        courses = courses.filter(status=filters.status)

    ordering: tuple[Any, ...] = ORDERINGS[filters.ordering or "newest"]
    if filters.search:
        courses, rank_ordering = _search(courses, filters.search)
        if rank_ordering and not filters.ordering:
            ordering = rank_ordering
    return with_counts(_with_listing_relations(courses)).order_by(*ordering)


def _search(courses: QuerySet[Course], text: str) -> tuple[QuerySet[Course], tuple[Any, ...]]:
    """PostgreSQL: full-text match on the stored vector, ranked (title A > subtitle B >
    description C). Elsewhere: a case-insensitive substring match, no rank."""
    if connection.vendor == "postgresql":
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        courses = courses.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query)
        )
        return courses, ("-rank", "-id")
    return (
        courses.filter(
            Q(title__icontains=text) | Q(subtitle__icontains=text) | Q(description__icontains=text)
        ),
        (),
    )


def course_get_visible(*, slug: str, user: Any) -> Course:
    """The course if `can_view_course` allows it; Http404 otherwise (drafts to outsiders).
    One query: a signed-in user's team role comes with it (later checks are free)."""
    courses = (
        Course.objects.select_related("category__parent").filter(slug=slug).defer(*HEAVY_FIELDS)
    )
    signed_in = bool(getattr(user, "is_authenticated", False))
    if signed_in:
        courses = courses.annotate(viewer_role=viewer_role_subquery(user))
    course = only_row(courses)
    if course is not None and signed_in:
        remember_staff_role(course, user, course.viewer_role)  # type: ignore[attr-defined]
    if course is None or not can_view_course(user, course):
        raise Http404("No such course.")
    return course


def public_course_id(*, slug: str) -> int | None:
    """The id of the course with this slug if anyone may view it (published or archived),
    else None. Cached under the catalogue version, which every change of a slug or a
    status bumps: anonymous cached reads need only to know which course's body to serve,
    not its row."""

    def lookup() -> int:
        ids = Course.objects.filter(slug=slug, status__in=PUBLIC_STATUSES).values_list(
            "pk", flat=True
        )
        return next(iter(ids[:1]), 0)  # 0: none (None would read as a cache miss)

    return cached_local(catalogue_cache_key(f"public-id:{slug}"), lookup) or None


def course_detail(*, course: Course) -> Course:
    """The course with instructors, tags and counts loaded (for the detail view)."""
    detailed = with_counts(_with_listing_relations(Course.objects.filter(pk=course.pk))).get()
    roles = course.__dict__.get("_courses_staff_roles")
    if roles:
        detailed.__dict__["_courses_staff_roles"] = roles
    return detailed


def course_teaching_list(*, user: Any) -> QuerySet[Course]:
    """The user's courses ("My courses"): any status, any team role, newest change first,
    with counts, instructors and `viewer_role`."""
    courses = course_list(user=user, filters=CourseFilters(scope="teaching"))
    return courses.order_by("-updated_at", "-id")


def remember_viewer_roles(courses: list[Course], user: Any) -> None:
    """After course_teaching_list: permission checks on these rows cost no query."""
    for course in courses:
        remember_staff_role(course, user, getattr(course, "viewer_role", None))


# --- structure --------------------------------------------------------------------------


def module_list(*, course: Course) -> QuerySet[Module]:
    return (
        Module.objects.filter(course_id=course.pk)
        .annotate(lesson_count=Count("lessons"))
        .order_by("position")
    )


def module_get(*, course: Course, module_id: Any) -> Module:
    """Http404 unless the module belongs to this course."""
    module = module_list(course=course).filter(pk=module_id).first()
    if module is None:
        raise Http404("No such module in this course.")
    return module


def lesson_list(*, course: Course, module_id: int | None = None) -> QuerySet[Lesson]:
    lessons = Lesson.objects.filter(module__course_id=course.pk).select_related("module")
    if module_id is not None:
        lessons = lessons.filter(module_id=module_id)
    return lessons.order_by("module__position", "position")


def lesson_get(*, course: Course, lesson_id: Any) -> Lesson:
    """Http404 unless the lesson belongs to this course."""
    lesson = lesson_list(course=course).filter(pk=lesson_id).first()
    if lesson is None:
        raise Http404("No such lesson in this course.")
    return lesson


def course_staff_list(*, course: Course) -> QuerySet[CourseStaff]:
    return CourseStaff.objects.filter(course_id=course.pk).select_related("user").order_by("id")


def course_staff_get(*, course: Course, member_id: Any) -> CourseStaff:
    member = course_staff_list(course=course).filter(pk=member_id).first()
    if member is None:
        raise Http404("No such team member in this course.")
    return member


# --- outline ---------------------------------------------------------------------------

# Higher apps (enrollments) register providers of per-learner lesson state in their
# AppConfig.ready(): provider(user, course, lessons) -> {lesson_id: {...state...}}, where
# `lessons` are the outline's lesson dicts in course order (ids and release rules), so a
# provider need not read the lessons again.
OutlineStateProvider = Callable[[Any, Course, list[dict[str, Any]]], dict[int, dict[str, Any]]]
_outline_state_providers: list[OutlineStateProvider] = []


def register_outline_state_provider(provider: OutlineStateProvider) -> None:
    if provider not in _outline_state_providers:
        _outline_state_providers.append(provider)


# A lesson of kind quiz or assignment is the place of an activity that a higher app owns.
# Those apps register, per lesson kind, provider(lesson_ids) -> {lesson_id: LessonActivity}
# (one query for all the lessons given), so lists and outlines carry `activity_id` and
# the lesson's completion rule without courses importing them and without a query per
# row. The activity's own table stays the one source of truth; its services call
# courses.services.lesson_activity_changed when a link, or what completes the lesson,
# changes (cached outlines).


@dataclass(frozen=True)
class LessonActivity:
    """What an activity's app tells courses about the activity of a lesson."""

    id: int
    # What completes the lesson: "submit" (handing in, submitting) or "pass" (a passing
    # score, at least `pass_percent`).
    completes_on: str = "submit"
    pass_percent: Decimal | None = None


LessonActivityProvider = Callable[[list[int]], dict[int, LessonActivity]]
_lesson_activity_providers: dict[str, LessonActivityProvider] = {}


def register_lesson_activity_provider(kind: str, provider: LessonActivityProvider) -> None:
    if kind not in Lesson.Kind.values:
        raise ValueError(f"Not a lesson kind: {kind!r}")
    _lesson_activity_providers[kind] = provider


def activity_per_lesson(
    activities: QuerySet[Any], *, published_field: str, fields: tuple[str, ...] = ()
) -> dict[int, tuple[Any, ...]]:
    """{lesson_id: (activity id, *fields)} from a provider's activities (quizzes,
    assignments) of some lessons, in one query. When a lesson has several, a published one
    wins, then the oldest: the rows are read in that order of preference, last written
    wins."""
    found: dict[int, tuple[Any, ...]] = {}
    rows = activities.order_by(published_field, "-id").values_list("lesson_id", "id", *fields)
    for lesson_id, *values in rows:
        found[lesson_id] = tuple(values)
    return found


def lesson_activities(lessons: Iterable[tuple[int, str]]) -> dict[int, LessonActivity]:
    """{lesson_id: LessonActivity} for the lessons, given as (id, kind) pairs, whose kind
    has a registered provider and that have an activity: one query per such kind present,
    none for a course of text, video, file and link lessons."""
    by_kind: dict[str, list[int]] = {}
    for lesson_id, kind in lessons:
        if kind in _lesson_activity_providers:
            by_kind.setdefault(kind, []).append(lesson_id)
    found: dict[int, LessonActivity] = {}
    for kind, ids in by_kind.items():
        found.update(_lesson_activity_providers[kind](ids))
    return found


def lesson_activity_ids(lessons: Iterable[tuple[int, str]]) -> dict[int, int]:
    """{lesson_id: activity_id}, as lesson_activities."""
    return {lesson_id: found.id for lesson_id, found in lesson_activities(lessons).items()}


# What completes a lesson (docs/decisions/0014-completion-rules.md). The rule is read here,
# where the lesson, its course and its activity meet; enrollments enforces it.
class CompletionRule:
    REQUEST = "request"  # text, file and link lessons, and an activity lesson without one
    QUIZ_SUBMIT = "quiz_submit"  # a quiz without a pass mark: submitting it
    QUIZ_PASS = "quiz_pass"  # noqa: S105 (not a secret) a pass mark: an attempt that passes
    ASSIGNMENT_SUBMIT = "assignment_submit"  # handing the assignment in
    ASSIGNMENT_PASS = "assignment_pass"  # noqa: S105 (not a secret) a passing released grade
    VIDEO_WATCH = "video_watch"  # watching `video_percent` of the video

    ALL = (REQUEST, QUIZ_SUBMIT, QUIZ_PASS, ASSIGNMENT_SUBMIT, ASSIGNMENT_PASS, VIDEO_WATCH)


@dataclass(frozen=True)
class LessonCompletionRule:
    """A lesson's completion rule: `rule` (a CompletionRule), the activity behind it, its
    pass mark (`*_pass` rules) and, for videos, the share to watch."""

    rule: str
    activity_id: int | None = None
    pass_percent: Decimal | None = None
    video_percent: int | None = None

    @property
    def by_request(self) -> bool:
        """Whether the learner's own "mark as complete" completes the lesson."""
        return self.rule == CompletionRule.REQUEST

    def as_data(self) -> dict[str, Any]:
        """The outline's `completion` (plain JSON: the pass mark as a decimal string)."""
        return {
            "rule": self.rule,
            "pass_percent": None if self.pass_percent is None else f"{self.pass_percent:.2f}",
            "video_percent": self.video_percent,
        }


def completion_rule_for(
    *, kind: str, activity: LessonActivity | None, video_percent: int
) -> LessonCompletionRule:
    """The rule from plain values (the lesson's kind, its activity if any, the course's
    video threshold): no query."""
    if kind == Lesson.Kind.VIDEO:
        return LessonCompletionRule(CompletionRule.VIDEO_WATCH, video_percent=video_percent)
    if kind in (Lesson.Kind.QUIZ, Lesson.Kind.ASSIGNMENT) and activity is not None:
        passing = activity.completes_on == "pass"
        rule = {
            (Lesson.Kind.QUIZ, False): CompletionRule.QUIZ_SUBMIT,
            (Lesson.Kind.QUIZ, True): CompletionRule.QUIZ_PASS,
            (Lesson.Kind.ASSIGNMENT, False): CompletionRule.ASSIGNMENT_SUBMIT,
            (Lesson.Kind.ASSIGNMENT, True): CompletionRule.ASSIGNMENT_PASS,
        }[(Lesson.Kind(kind), passing)]
        return LessonCompletionRule(
            rule, activity_id=activity.id, pass_percent=activity.pass_percent if passing else None
        )
    # Text, file, link; and a quiz or assignment lesson with no activity attached, which
    # nothing else could ever complete.
    return LessonCompletionRule(CompletionRule.REQUEST)


def completion_rule_of(lesson: Lesson, course: Course) -> LessonCompletionRule:
    """What completes this lesson. No query for text, file, link and video lessons (the
    course row gives the video threshold); one for a quiz or assignment lesson."""
    activity = None
    if lesson.kind in (Lesson.Kind.QUIZ, Lesson.Kind.ASSIGNMENT):
        activity = lesson_activities([(lesson.pk, lesson.kind)]).get(lesson.pk)
    return completion_rule_for(
        kind=lesson.kind, activity=activity, video_percent=course.video_complete_percent
    )


def with_activity_ids(lessons: Iterable[Lesson]) -> list[Lesson]:
    """The lessons, each with `activity_id` set (None when it has no activity)."""
    lessons = list(lessons)
    ids = lesson_activity_ids((lesson.pk, lesson.kind) for lesson in lessons)
    for lesson in lessons:
        lesson.activity_id = ids.get(lesson.pk)  # type: ignore[attr-defined]
    return lessons


def _outline_structure(course: Course) -> dict[str, Any]:
    lessons_qs = Lesson.objects.order_by("position").only(
        "id",
        "module_id",
        "title",
        "position",
        "kind",
        "duration_minutes",
        "is_preview",
        "required_for_completion",
        "release_at",
        "release_after_days",
        "requires_prerequisites",
    )
    modules = list(
        Module.objects.filter(course_id=course.pk)
        .order_by("position")
        .prefetch_related(Prefetch("lessons", queryset=lessons_qs))
    )
    activities = lesson_activities(
        (lesson.pk, lesson.kind) for module in modules for lesson in module.lessons.all()
    )
    module_items = []
    lesson_count = duration = 0
    for module in modules:
        lessons: list[dict[str, Any]] = [
            {
                "id": lesson.pk,
                "title": lesson.title,
                "position": lesson.position,
                "kind": lesson.kind,
                "activity_id": getattr(activities.get(lesson.pk), "id", None),
                "completion": completion_rule_for(
                    kind=lesson.kind,
                    activity=activities.get(lesson.pk),
                    video_percent=course.video_complete_percent,
                ).as_data(),
                "duration_minutes": lesson.duration_minutes,
                "is_preview": lesson.is_preview,
                "required_for_completion": lesson.required_for_completion,
                "release_at": lesson.release_at,
                "release_after_days": lesson.release_after_days,
                "requires_prerequisites": lesson.requires_prerequisites,
                "state": None,
            }
            for lesson in module.lessons.all()
        ]
        lesson_count += len(lessons)
        duration += sum(item["duration_minutes"] for item in lessons)
        module_items.append(
            {
                "id": module.pk,
                "title": module.title,
                "position": module.position,
                "duration_minutes": sum(item["duration_minutes"] for item in lessons),
                "lessons": lessons,
            }
        )
    return {
        "module_count": len(module_items),
        "lesson_count": lesson_count,
        "duration_minutes": duration,
        "modules": module_items,
    }


def course_outline(*, course: Course) -> dict[str, Any]:
    """Modules and lessons (titles, kinds, activity ids, what completes each lesson,
    durations, flags, release rules): plain data, the same for every viewer, cached under
    the course's version (two queries on a miss, plus one per activity kind the course's
    lessons use)."""
    return cached(course_cache_key(course.pk, "outline"), lambda: _outline_structure(course))


def course_outline_states(
    *, course: Course, user: Any, outline: dict[str, Any]
) -> dict[int, dict[str, Any]]:
    """Each lesson's per-learner state from the registered providers; {} when none of
    them knows this user (anonymous, staff, not enrolled)."""
    lessons = [lesson for module in outline["modules"] for lesson in module["lessons"]]
    states: dict[int, dict[str, Any]] = {}
    for provider in _outline_state_providers:
        states.update(provider(user, course, lessons) or {})
    return states


def outline_with_states(
    outline: dict[str, Any], states: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """A copy of the (cached, possibly shared) outline with each lesson's `state` set."""
    outline = copy.deepcopy(outline)
    for module in outline["modules"]:
        for lesson in module["lessons"]:
            lesson["state"] = states.get(lesson["id"])
    return outline


# --- taxonomy --------------------------------------------------------------------------


def category_list() -> QuerySet[Category]:
    return (
        Category.objects.select_related("parent")
        .annotate(
            course_count=Count(
                "courses", filter=Q(courses__status=Course.Status.PUBLISHED), distinct=True
            )
        )
        .order_by(Coalesce("parent__name", "name"), F("parent").asc(nulls_first=True), "name")
    )


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name", "id")


# --- for other apps ---------------------------------------------------------------------

# Value types other apps compare with or list in their schemas (they read no table, so
# those apps need not import courses.models for them).
CourseStatus = Course.Status
LessonKind = Lesson.Kind


def course_lock_for_update(*, course_id: int) -> Course:
    """The course row, locked until the transaction ends (SELECT ... FOR UPDATE). Other
    apps serialise their per-course writes on it (enrollments: seats and the waitlist);
    take it before any of their own row locks."""
    return Course.objects.select_for_update().get(pk=course_id)


# --- the catalogue page (courses.catalogue_views) -----------------------------------------

CATALOGUE_PAGE_SIZE = 12
CATALOGUE_MAX_PAGE = 1000  # deeper page numbers read as the last page (bounded cache keys)


def _catalogue_card(course: Course) -> dict[str, Any]:
    """What a catalogue card shows, as plain data (cached, shared by every viewer)."""
    return {
        "slug": course.slug,
        "title": course.title,
        "subtitle": course.subtitle,
        "cover_url": course.cover_image.url if course.cover_image else "",
        "level": course.get_level_display(),
        "category": course.category.name if course.category else "",
        "price_amount": course.price_amount,
        "currency": course.currency,
        "is_free": course.is_free,
        "lesson_count": course.lesson_count,  # type: ignore[attr-defined]
        "duration_minutes": course.duration_minutes,  # type: ignore[attr-defined]
        "instructors": [member.user.get_full_name() for member in course.instructor_members],  # type: ignore[attr-defined]
    }


def catalogue_page(
    *, filters: CourseFilters, page: int = 1, page_size: int = CATALOGUE_PAGE_SIZE
) -> dict[str, Any]:
    """One page of the public catalogue for the HTML pages: `count`, `num_pages`, `number`
    and `items` (card dicts). The same `course_list` query as the API's catalogue, cached
    as plain data under the catalogue version (bumped by every course write), so a warm
    page costs no query and a cold one the same few whatever the page size."""
    if filters.scope != "catalogue":
        raise ValueError("catalogue_page serves the public catalogue only")
    page = min(max(page, 1), CATALOGUE_MAX_PAGE)
    fingerprint = json.dumps(
        {"page": page, "page_size": page_size, **asdict(filters)}, sort_keys=True, default=str
    )

    def compute() -> dict[str, Any]:
        from django.core.paginator import Paginator  # only the pages paginate this way

        paginator = Paginator(course_list(user=None, filters=filters), page_size)
        current = paginator.get_page(page)  # past the end: the last page
        return {
            "count": paginator.count,
            "num_pages": paginator.num_pages,
            "number": current.number,
            "items": [_catalogue_card(course) for course in current.object_list],
        }

    return cached(catalogue_cache_key(f"page:{fingerprint}"), compute)


def catalogue_categories() -> list[dict[str, Any]]:
    """The categories for the catalogue's filter ({slug, name}, children named after their
    parent), cached under the catalogue version (category writes bump it)."""

    def compute() -> list[dict[str, Any]]:
        return [
            {
                "slug": category.slug,
                "name": f"{category.parent.name}: {category.name}"
                if category.parent
                else category.name,
            }
            for category in category_list()
        ]

    return cached(catalogue_cache_key("categories"), compute)
