"""Who may do what with a course: one predicate per decision, plus matching Q filters.

Used alike by the API, the instructor pages and the admin. Roles:

- platform role (`accounts.User.role`): student, instructor, admin. Admins may do
  everything; instructors (and admins) may create courses.
- course role (`CourseStaff.role`): owner (everything, including the team), instructor
  (edit content, publish, archive), ta (teach: grade, see learners; read-only structure).

Visibility: published and archived courses are visible to everyone (archived ones are not
listed in the catalogue, but enrolled learners keep their links); drafts only to the
course team and admins. Callers answer 404 when `can_view_course` is false and 403 when
the course is visible but the action is not allowed.

A user's role on a course is looked up once per course instance and remembered on it, so
checking several predicates costs one query.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import OuterRef, Q, Subquery

from accounts.models import User
from accounts.permissions import is_admin
from courses.models import Course, CourseStaff, Lesson

EDITOR_ROLES = frozenset({CourseStaff.Role.OWNER, CourseStaff.Role.INSTRUCTOR})
TEACHER_ROLES = frozenset({*EDITOR_ROLES, CourseStaff.Role.TA})
PUBLIC_STATUSES = (Course.Status.PUBLISHED, Course.Status.ARCHIVED)

_ROLE_CACHE_ATTR = "_courses_staff_roles"

# Higher apps (enrollments) register "is this user a learner of this course" checks in
# their AppConfig.ready(); courses cannot import them (layering).
LearnerCheck = Callable[[Any, Course], bool]
_learner_checks: list[LearnerCheck] = []


def register_learner_check(check: LearnerCheck) -> None:
    """`check(user, course) -> bool`: the user may read the course's lesson content."""
    if check not in _learner_checks:
        _learner_checks.append(check)


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def staff_role(user: Any, course: Course) -> str | None:
    """The user's role on the course team, or None. Memoised on the course instance."""
    if not _authenticated(user) or course.pk is None:
        return None
    roles: dict[int, str | None] = course.__dict__.setdefault(_ROLE_CACHE_ATTR, {})
    if user.pk not in roles:
        # A slice, not .first(): (course, user) is unique, so no ORDER BY (and no join to
        # the course for its default ordering) is needed.
        found = CourseStaff.objects.filter(course_id=course.pk, user_id=user.pk).values_list(
            "role", flat=True
        )[:1]
        roles[user.pk] = next(iter(found), None)
    return roles[user.pk]


def viewer_role_subquery(user: Any, course_ref: str = "pk") -> Subquery:
    """The user's team role on the course at `course_ref` (an annotation that spares
    staff_role's query: pass the value to remember_staff_role)."""
    return Subquery(
        CourseStaff.objects.filter(course_id=OuterRef(course_ref), user_id=user.pk).values("role")[
            :1
        ]
    )


def remember_staff_role(course: Course, user: Any, role: str | None) -> None:
    """Selectors that already know the role (an annotation) spare the query."""
    if _authenticated(user):
        course.__dict__.setdefault(_ROLE_CACHE_ATTR, {})[user.pk] = role


def forget_staff_roles(course: Course) -> None:
    course.__dict__.pop(_ROLE_CACHE_ATTR, None)


# --- predicates ------------------------------------------------------------------------


def can_create_course(user: Any) -> bool:
    return _authenticated(user) and user.role in (User.Role.INSTRUCTOR, User.Role.ADMIN)


def can_view_course(user: Any, course: Course) -> bool:
    """See the course's page, detail and outline (not the lesson content)."""
    return course.status in PUBLIC_STATUSES or can_teach(user, course)


def can_teach(user: Any, course: Course) -> bool:
    """Any team member (owner, instructor, TA) or admin: grade, see learners, read drafts."""
    return is_admin(user) or staff_role(user, course) in TEACHER_ROLES


def can_edit_course(user: Any, course: Course) -> bool:
    """Change details and structure (modules, lessons), publish, archive."""
    return is_admin(user) or staff_role(user, course) in EDITOR_ROLES


def can_publish_course(user: Any, course: Course) -> bool:
    return can_edit_course(user, course)


def can_manage_staff(user: Any, course: Course) -> bool:
    return is_admin(user) or staff_role(user, course) == CourseStaff.Role.OWNER


def can_delete_course(user: Any, course: Course) -> bool:
    """Owners and admins (the service also requires a draft without learners)."""
    return can_manage_staff(user, course)


def can_duplicate_course(user: Any, course: Course) -> bool:
    """Copying needs both: edit rights on the source and the right to create courses."""
    return can_create_course(user) and can_edit_course(user, course)


def can_view_staff(user: Any, course: Course) -> bool:
    return can_teach(user, course)


def is_learner(user: Any, course: Course) -> bool:
    """True when a registered learner check (enrollments) says so."""
    return _authenticated(user) and any(check(user, course) for check in _learner_checks)


def can_view_lesson_content(user: Any, lesson: Lesson, course: Course | None = None) -> bool:
    """Body, video, file and link of a lesson: the team, admins, and on a visible course
    anyone for preview lessons, learners (per the registered checks) for ungated ones.

    Release dates and prerequisites are per learner and belong to the enrollments app: a
    gated lesson's content is only served by its access-checked endpoint
    (`/api/v1/lessons/{id}/`), never here, so nothing is shown before it unlocks."""
    course = course or lesson.module.course
    if can_teach(user, course):
        return True
    if course.status not in PUBLIC_STATUSES:
        return False
    if lesson.is_preview:
        return True
    gated = (
        lesson.release_at is not None
        or lesson.release_after_days is not None
        or lesson.requires_prerequisites
    )
    return not gated and is_learner(user, course)


# --- queryset filters ------------------------------------------------------------------


def _team_course_ids(user: Any, roles: frozenset[str] = TEACHER_ROLES) -> Any:
    return CourseStaff.objects.filter(user_id=user.pk, role__in=roles).values("course_id")


def visible_courses_q(user: Any) -> Q:
    """Courses `can_view_course` allows, as a filter."""
    if is_admin(user):
        return Q()
    public = Q(status__in=PUBLIC_STATUSES)
    if not _authenticated(user):
        return public
    return public | Q(pk__in=_team_course_ids(user))


def catalogue_courses_q() -> Q:
    """The public catalogue: published courses only, the same for everyone."""
    return Q(status=Course.Status.PUBLISHED)


def teaching_courses_q(user: Any) -> Q:
    """Courses on whose team the user is (any role). Admins: only their own teams too."""
    if not _authenticated(user):
        return Q(pk__in=[])
    return Q(pk__in=_team_course_ids(user))


def editable_courses_q(user: Any) -> Q:
    """Courses `can_edit_course` allows, as a filter."""
    if is_admin(user):
        return Q()
    if not _authenticated(user):
        return Q(pk__in=[])
    return Q(pk__in=_team_course_ids(user, EDITOR_ROLES))
