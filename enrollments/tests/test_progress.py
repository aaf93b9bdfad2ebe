"""Completions, heartbeats, the rollup, course completion, structure-change recomputes."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from courses.services import lesson_create, lesson_delete, lesson_update
from courses.tests.factories import LessonFactory
from enrollments.models import Enrollment, LessonCompletion, LessonProgress
from enrollments.services import (
    enrollment_create,
    enrollment_drop,
    from_scratch_percent,
    lesson_complete,
    progress_recompute,
)
from lms.errors import ServiceError
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_relay
from lms.testing import client_for, course_lessons, make_course, unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(cast, course):
    return enrollment_create(user=cast.student, course=course)


def complete(user, lesson):
    return client_for(user).post(f"/api/v1/lessons/{lesson.pk}/complete/")


def test_complete_is_idempotent_and_updates_rollup(cast, course, enrolled):
    lesson = course_lessons(course)[0]
    first = complete(cast.student, lesson)
    assert first.status_code == 200, first.content
    data = first.json()["data"]
    assert data["created"] is True
    assert data["enrollment"]["progress"] == {"completed": 1, "total": 3, "percent": 33}
    again = complete(cast.student, lesson).json()["data"]
    assert again["created"] is False
    assert again["enrollment"]["progress"]["completed"] == 1
    assert LessonCompletion.objects.count() == 1
    enrolled.refresh_from_db()
    assert enrolled.last_activity_at is not None


def test_optional_lessons_do_not_count(cast, course, enrolled):
    optional = LessonFactory(module=course_lessons(course)[0].module, required_for_completion=False)
    progress_recompute(course_id=course.pk)
    data = complete(cast.student, optional).json()["data"]
    assert data["enrollment"]["progress"] == {"completed": 0, "total": 3, "percent": 0}


def test_all_required_done_completes_the_course_once(cast, course, enrolled):
    for lesson in course_lessons(course):
        complete(cast.student, lesson)
    enrolled.refresh_from_db()
    assert enrolled.status == "completed"
    assert enrolled.percent == 100
    assert enrolled.completed_at is not None
    assert OutboxMessage.objects.filter(topic="enrollments.course_completed").count() == 1
    mail.outbox.clear()
    outbox_relay()
    assert any(m.subject == f"You completed {course.title}" for m in mail.outbox)
    # Completed learners keep access and completing again changes nothing.
    assert complete(cast.student, course_lessons(course)[0]).status_code == 200
    assert OutboxMessage.objects.filter(topic="enrollments.course_completed").count() == 1


def test_video_heartbeat_completes_at_ninety_percent(cast, course, enrolled):
    video = LessonFactory(
        module=course_lessons(course)[0].module,
        kind="video",
        video_url="https://example.test/v.mp4",
        duration_minutes=1,
    )
    progress_recompute(course_id=course.pk)
    url = f"/api/v1/lessons/{video.pk}/progress/"
    client = client_for(cast.student)
    # Seeking straight to the end is not watching.
    data = client.post(url, {"position_seconds": 59}).json()["data"]
    assert data["completed"] is False
    assert data["position"]["watched_seconds"] == 0
    client.post(url, {"position_seconds": 0})
    for position in range(20, 60, 20):  # 20 s steps: credited
        data = client.post(url, {"position_seconds": position}).json()["data"]
    assert data["position"] == {
        "last_position_seconds": 40,
        "watched_seconds": 40,
        "duration_seconds": 0,  # the player sent no length: the lesson has one
        "updated_at": data["position"]["updated_at"],
    }
    assert data["completed"] is False
    data = client.post(url, {"position_seconds": 54}).json()["data"]
    assert data["position"]["watched_seconds"] == 54
    assert data["completed"] is True
    assert data["enrollment"]["progress"]["completed"] == 1
    assert LessonProgress.objects.get().last_position_seconds == 54


def test_heartbeat_and_complete_validate_input(cast, course, enrolled):
    lesson = course_lessons(course)[0]
    client = client_for(cast.student)
    with unchanged(enrolled, counts=(LessonProgress, LessonCompletion)):
        negative = client.post(f"/api/v1/lessons/{lesson.pk}/progress/", {"position_seconds": -1})
        unknown = client.post(
            f"/api/v1/lessons/{lesson.pk}/progress/", {"position_seconds": 5, "watched": 5}
        )
        body = client.post(f"/api/v1/lessons/{lesson.pk}/complete/", {"completed": True})
    assert negative.status_code == 400
    assert negative.json()["errors"][0]["attr"] == "position_seconds"
    for refused, field in ((unknown, "watched"), (body, "completed")):
        assert refused.status_code == 400
        assert refused.json()["errors"] == [
            {
                "attr": field,
                "pointer": f"/{field}",
                "code": "unknown_field",
                "detail": "This field is not accepted here.",
            }
        ]


def test_staff_without_enrollment_cannot_complete(cast, course):
    lesson = course_lessons(course)[0]
    with unchanged(course, counts=(Enrollment, LessonCompletion, LessonProgress)):
        response = complete(cast.instructor, lesson)
        heartbeat = client_for(cast.instructor).post(
            f"/api/v1/lessons/{lesson.pk}/progress/", {"position_seconds": 5}
        )
    for refused in (response, heartbeat):
        assert refused.status_code == 403
        assert refused.json()["code"] == "not_enrolled"


def test_a_lost_seat_is_not_active(cast, course, enrolled):
    """The service re-reads the seat under its row lock: a learner who dropped between the
    view's check and the write gets 409 `not_active` (the view's own check is 403)."""
    stale = Enrollment.objects.get(pk=enrolled.pk)
    enrollment_drop(enrollment=enrolled)
    with unchanged(enrolled, counts=(LessonCompletion,)), pytest.raises(ServiceError) as caught:
        lesson_complete(enrollment=stale, lesson=course_lessons(course)[0])
    assert (caught.value.code, caught.value.status) == ("not_active", 409)


def test_structure_changes_schedule_a_recompute(cast, course, enrolled):
    first = course_lessons(course)[0]
    complete(cast.student, first)
    OutboxMessage.objects.all().delete()
    lesson_create(module=first.module, title="New required lesson")
    assert OutboxMessage.objects.filter(topic="enrollments.progress_recompute").count() == 1
    enrolled.refresh_from_db()
    assert enrolled.required_total == 3  # not yet: the recompute runs in the background
    outbox_relay()
    enrolled.refresh_from_db()
    assert (enrolled.completed_count, enrolled.required_total, enrolled.percent) == (1, 4, 25)

    lesson_update(lesson=course_lessons(course)[1], required_for_completion=False)
    lesson_delete(lesson=course_lessons(course)[2])
    outbox_relay()
    enrolled.refresh_from_db()
    assert (enrolled.completed_count, enrolled.required_total) == (1, 2)
    assert enrolled.percent == from_scratch_percent(enrolled) == 50


def test_course_without_learners_schedules_nothing(cast, course):
    lesson_create(module=course_lessons(course)[0].module, title="Another")
    assert not OutboxMessage.objects.filter(topic="enrollments.progress_recompute").exists()


def test_removing_the_last_missing_lesson_completes_via_recompute(cast, course, enrolled):
    lessons = course_lessons(course)
    complete(cast.student, lessons[0])
    complete(cast.student, lessons[1])
    lesson_delete(lesson=lessons[2])
    outbox_relay()
    enrolled.refresh_from_db()
    assert (enrolled.percent, enrolled.status) == (100, "completed")


def test_recompute_command_is_idempotent_and_batched(cast):
    course = make_course(cast, lessons=2)
    enrollments = [
        enrollment_create(user=u, course=course)
        for u in (cast.student, cast.other_student, cast.admin)
    ]
    Enrollment.objects.update(required_total=0, completed_count=0, percent=0)
    out = StringIO()
    call_command("recompute_progress", "--course", course.slug, "--batch-size", "2", stdout=out)
    assert "3 enrollment(s) updated" in out.getvalue()
    for enrollment in enrollments:
        enrollment.refresh_from_db()
        assert enrollment.required_total == 2
    out = StringIO()
    call_command("recompute_progress", stdout=out)
    assert "0 enrollment(s) updated" in out.getvalue()


def test_recompute_command_unknown_course():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("recompute_progress", "--course", "nope")
