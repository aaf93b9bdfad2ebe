"""Plain output for the hot endpoints (my enrollments, the roster, lesson access and
complete).

DRF ModelSerializers deep-copy and rebuild their fields on every instantiation, which costs
more than the queries behind these lists. These functions build the same dicts directly;
the serializers in serializers.py stay the schema (drf-spectacular) and
enrollments/tests/test_plain.py checks that both give equal output.
"""

from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from enrollments.models import Enrollment

if TYPE_CHECKING:
    from courses.models import Lesson

# DRF's own field instances: the same timezone handling and decimal formatting as the
# serializers, with none of their per-call construction.
_DATETIME = serializers.DateTimeField()
_MULTIPLIER = serializers.DecimalField(max_digits=4, decimal_places=2)


def _when(value: Any) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)  # type: ignore[no-any-return]


def _common(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "status": enrollment.status,
        "source": enrollment.source,
        "enrolled_at": _when(enrollment.enrolled_at),
        "waitlisted_at": _when(enrollment.waitlisted_at),
        "completed_at": _when(enrollment.completed_at),
        "last_activity_at": _when(enrollment.last_activity_at),
        "progress": {
            "completed": enrollment.completed_count,
            "total": enrollment.required_total,
            "percent": enrollment.percent,
        },
    }


def _accommodations(enrollment: Enrollment) -> dict[str, Any]:
    return {
        "time_multiplier": _MULTIPLIER.to_representation(enrollment.time_multiplier),
        "extra_attempts": enrollment.extra_attempts,
        "deadline_extension_days": enrollment.deadline_extension_days,
    }


def enrollment_data(enrollment: Enrollment, next_lesson: dict[str, Any] | None) -> dict[str, Any]:
    """As EnrollmentSerializer (the course must be loaded: select_related)."""
    course = enrollment.course
    return {
        "id": enrollment.pk,
        "course": {
            "id": course.pk,
            "slug": course.slug,
            "title": course.title,
            "status": course.status,
        },
        **_common(enrollment),
        "next_lesson": next_lesson,
        "accommodations": _accommodations(enrollment),
    }


def roster_entry_data(enrollment: Enrollment) -> dict[str, Any]:
    """As RosterEntrySerializer (the user must be loaded: select_related)."""
    user = enrollment.user
    return {
        "id": enrollment.pk,
        "user": {
            "id": user.pk,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
        },
        **_common(enrollment),
        "accommodations": _accommodations(enrollment),
    }


def lesson_content_data(lesson: "Lesson", completed: bool | None, request: Any) -> dict[str, Any]:
    """As LessonContentSerializer (module and course loaded: select_related)."""
    return {
        "id": lesson.pk,
        "course": lesson.module.course.slug,
        "module": lesson.module_id,
        "title": lesson.title,
        "position": lesson.position,
        "kind": lesson.kind,
        "body": lesson.body,
        "body_html": lesson.body_html,
        "video_url": lesson.video_url,
        "file": request.build_absolute_uri(lesson.file.url) if lesson.file else None,
        "link_url": lesson.link_url,
        "duration_minutes": lesson.duration_minutes,
        "is_preview": lesson.is_preview,
        "required_for_completion": lesson.required_for_completion,
        "completed": completed,
    }
