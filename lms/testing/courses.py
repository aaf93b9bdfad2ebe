"""One course builder for every app's tests."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lms.testing.cast import Cast

if TYPE_CHECKING:
    from courses.models import Course, Lesson


def make_course(
    cast: Cast | None = None,
    *,
    lessons: int = 2,
    published: bool = True,
    enroll: Iterable[str] = (),
    **fields: Any,
) -> "Course":
    """A course (published and free unless told) with one module of `lessons` text
    lessons; with a cast, its owner, instructor and TA on the team and the `enroll`
    roles (e.g. ("student", "other_student")) enrolled through the enrollments service."""
    from courses.models import CourseStaff
    from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory
    from enrollments.services import enrollment_create

    course = CourseFactory(published=published, **fields)
    if cast is not None:
        for role in ("owner", "instructor", "ta"):
            CourseStaff.objects.create(course=course, user=cast.user(role), role=role)
    module = ModuleFactory(course=course)
    for _ in range(lessons):
        LessonFactory(module=module)
    if cast is not None:
        for role in enroll:
            enrollment_create(user=cast.user(role), course=course)
    return course


def course_lessons(course: "Course") -> list["Lesson"]:
    """The course's lessons in outline order."""
    from courses.models import Lesson

    return list(
        Lesson.objects.filter(module__course=course).order_by("module__position", "position")
    )
