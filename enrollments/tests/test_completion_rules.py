"""What completes each kind of lesson (docs/decisions/0014-completion-rules.md), from the
enrollments side: the learner's request, video heartbeats and the course's threshold, the
check the learner pages use, and a changed passing grade. Quiz and assignment lessons with
their activities are tested in quizzes/tests and assignments/tests."""

import pytest

from courses.selectors import completion_rule_of
from courses.services import course_update
from courses.tests.factories import LessonFactory
from enrollments.models import Enrollment, LessonCompletion, LessonProgress
from enrollments.selectors import lesson_completion_check
from enrollments.services import (
    enrollment_create,
    lesson_complete,
    progress_recompute,
)
from lms.errors import ServiceError
from lms.outbox.models import OutboxMessage
from lms.testing import client_for, course_lessons, make_course, unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(cast, course):
    return enrollment_create(user=cast.student, course=course)


def _lesson(course, kind, **fields):
    lesson = LessonFactory(module=course_lessons(course)[0].module, kind=kind, **fields)
    progress_recompute(course_id=course.pk)
    return lesson


def complete(user, lesson):
    return client_for(user).post(f"/api/v1/lessons/{lesson.pk}/complete/")


def beat(user, lesson, position, **extra):
    body = {"position_seconds": position, **extra}
    return client_for(user).post(f"/api/v1/lessons/{lesson.pk}/progress/", body)


def watch(user, lesson, until, *, step=20, **extra):
    """Heartbeats from 0 to `until` in steps the server credits as watching."""
    data = None
    for position in [*range(0, until, step), until]:
        data = beat(user, lesson, position, **extra).json()["data"]
    return data


@pytest.mark.parametrize("kind", ["text", "file", "link"])
def test_text_file_and_link_lessons_complete_on_request(cast, course, enrolled, kind):
    lesson = _lesson(course, kind)
    assert completion_rule_of(lesson, course).rule == "request"
    response = complete(cast.student, lesson)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["created"] is True


@pytest.mark.parametrize("kind", ["quiz", "assignment"])
def test_an_activity_lesson_without_its_activity_completes_on_request(cast, course, enrolled, kind):
    """Nothing else could ever complete it: a required lesson would block the course."""
    lesson = _lesson(course, kind)
    assert completion_rule_of(lesson, course).rule == "request"
    assert complete(cast.student, lesson).status_code == 200


def test_a_video_is_refused_until_watched_and_says_how_far(cast, course, enrolled):
    video = _lesson(course, "video", duration_minutes=10)  # 600 s: 540 s needed at 90 %
    beat(cast.student, video, 0)
    beat(cast.student, video, 30)
    beat(cast.student, video, 590)  # seeking ahead: not watched
    with unchanged(enrolled, counts=(LessonCompletion,)):
        refused = complete(cast.student, video)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "video_not_watched"
    assert (body["watched_seconds"], body["needed_seconds"], body["video_percent"]) == (
        30,
        540,
        90,
    )
    enrolled.refresh_from_db()
    assert enrolled.status == "active"
    assert not OutboxMessage.objects.filter(topic="enrollments.course_completed").exists()


def test_heartbeats_complete_a_video_at_the_threshold_and_then_a_request_is_idempotent(
    cast, course, enrolled
):
    video = _lesson(course, "video", duration_minutes=1)  # 60 s: 54 s needed
    data = watch(cast.student, video, 40)
    assert (data["position"]["watched_seconds"], data["completed"]) == (40, False)
    assert complete(cast.student, video).status_code == 409
    data = beat(cast.student, video, 54).json()["data"]
    assert data["completed"] is True
    again = complete(cast.student, video)
    assert again.status_code == 200
    assert again.json()["data"]["created"] is False


def test_the_course_threshold_is_honoured(cast):
    course = make_course(cast, lessons=1, video_complete_percent=50)
    enrollment = enrollment_create(user=cast.student, course=course)
    video = _lesson(course, "video", duration_minutes=2)  # 120 s: 60 s needed at 50 %
    data = watch(cast.student, video, 59, step=20)
    assert data["completed"] is False
    assert complete(cast.student, video).json()["needed_seconds"] == 60
    data = beat(cast.student, video, 60).json()["data"]
    assert data["completed"] is True
    assert LessonCompletion.objects.filter(enrollment=enrollment, lesson=video).exists()


def test_a_lowered_threshold_lets_the_learner_complete_what_they_watched(cast, course, enrolled):
    video = _lesson(course, "video", duration_minutes=1)
    watch(cast.student, video, 40)
    assert complete(cast.student, video).status_code == 409
    course_update(course=course, video_complete_percent=60)  # 36 s needed now
    response = complete(cast.student, video)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["created"] is True


def test_the_players_length_is_kept_for_a_video_without_a_duration(cast, course, enrolled):
    video = _lesson(course, "video", duration_minutes=0)
    refused = complete(cast.student, video).json()
    assert (refused["code"], refused["needed_seconds"]) == ("video_not_watched", None)
    data = watch(cast.student, video, 40, duration_seconds=100)
    assert data["position"]["duration_seconds"] == 100
    assert data["completed"] is False
    assert complete(cast.student, video).json()["needed_seconds"] == 90
    # A heartbeat without the length still measures against the stored one.
    for position in (60, 80, 90):
        data = beat(cast.student, video, position).json()["data"]
    assert data["completed"] is True
    assert LessonProgress.objects.get(lesson=video).duration_seconds == 100


def test_heartbeats_never_complete_other_kinds(cast, course, enrolled):
    """A quiz lesson with a duration used to complete after 90 % of "watching" it."""
    quiz_lesson = _lesson(course, "quiz", duration_minutes=1)
    text = course_lessons(course)[0]
    for lesson in (quiz_lesson, text):
        data = watch(cast.student, lesson, 60)
        assert data["position"]["watched_seconds"] == 60
        assert data["completed"] is False
    assert not LessonCompletion.objects.filter(enrollment=enrolled).exists()


def test_the_service_refuses_the_request_and_activities_still_complete(cast, course, enrolled):
    video = _lesson(course, "video", duration_minutes=5)
    with pytest.raises(ServiceError) as caught:
        lesson_complete(enrollment=enrolled, lesson=video, by_request=True)
    assert (caught.value.code, caught.value.status) == ("video_not_watched", 409)
    # What an activity (or an administrator's script) completes is not a request.
    _, created = lesson_complete(enrollment=enrolled, lesson=video)
    assert created is True
    _, created = lesson_complete(enrollment=enrolled, lesson=video, by_request=True)
    assert created is False


def test_a_course_of_text_and_video_completes_on_its_lessons(cast, course, enrolled):
    """No graded work: the passing grade (70 by default) asks for nothing."""
    video = _lesson(course, "video", duration_minutes=1)
    for lesson in course_lessons(course):
        if lesson.pk != video.pk:
            complete(cast.student, lesson)
    enrolled.refresh_from_db()
    assert (enrolled.percent, enrolled.status) == (75, "active")
    watch(cast.student, video, 60)
    enrolled.refresh_from_db()
    assert (enrolled.percent, enrolled.status) == (100, "completed")
    assert OutboxMessage.objects.filter(topic="enrollments.course_completed").count() == 1


def test_the_pages_check_says_the_same_as_the_request(cast, course, enrolled):
    text = course_lessons(course)[0]
    video = _lesson(course, "video", duration_minutes=1)
    decision = lesson_completion_check(user=cast.student, lesson=text, course=course)
    assert (decision.allowed, decision.completed, decision.code) == (True, False, None)
    assert decision.rule.as_data() == {
        "rule": "request",
        "pass_percent": None,
        "video_percent": None,
    }
    decision = lesson_completion_check(user=cast.student, lesson=video)
    assert (decision.allowed, decision.code) == (False, "video_not_watched")
    assert decision.extra == {"watched_seconds": 0, "needed_seconds": 54, "video_percent": 90}
    assert decision.rule.as_data() == {
        "rule": "video_watch",
        "pass_percent": None,
        "video_percent": 90,
    }
    complete(cast.student, text)
    decision = lesson_completion_check(user=cast.student, lesson=text, course=course)
    assert (decision.allowed, decision.completed) == (True, True)
    outsider = lesson_completion_check(user=cast.other_student, lesson=text, course=course)
    assert (outsider.allowed, outsider.code) == (False, "not_enrolled")


def test_the_pages_check_costs_a_few_queries(cast, course, enrolled, django_assert_num_queries):
    video = _lesson(course, "video", duration_minutes=1)
    Enrollment.objects.get(pk=enrolled.pk)
    # The seat, whether it is completed, the learner's video progress.
    with django_assert_num_queries(3):
        lesson_completion_check(user=cast.student, lesson=video, course=course)


def test_a_changed_passing_grade_schedules_a_recompute(cast, course, enrolled):
    OutboxMessage.objects.all().delete()
    course_update(course=course, passing_grade=course.passing_grade)  # unchanged
    course_update(course=course, title="Renamed")
    assert not OutboxMessage.objects.filter(topic="enrollments.progress_recompute").exists()
    course_update(course=course, passing_grade=50)
    assert OutboxMessage.objects.filter(topic="enrollments.progress_recompute").count() == 1


def test_the_course_threshold_is_validated(cast, course):
    client = client_for(cast.owner)
    for value in (0, 101):
        response = client.patch(
            f"/api/v1/courses/{course.slug}/", {"video_complete_percent": value}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "video_complete_percent"
    response = client.patch(
        f"/api/v1/courses/{course.slug}/", {"video_complete_percent": 75}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["video_complete_percent"] == 75


def test_the_outline_says_what_completes_each_lesson(cast, course, enrolled):
    _lesson(course, "video", duration_minutes=1)
    url = f"/api/v1/courses/{course.slug}/outline/"

    def rules(client):
        data = client.get(url).json()["data"]
        return [lesson["completion"] for m in data["modules"] for lesson in m["lessons"]]

    expected = [{"rule": "request", "pass_percent": None, "video_percent": None}] * 3 + [
        {"rule": "video_watch", "pass_percent": None, "video_percent": 90}
    ]
    assert rules(client_for(None)) == rules(client_for(cast.student)) == expected
    course_update(course=course, video_complete_percent=80)  # the cached outline follows
    assert rules(client_for(None))[-1]["video_percent"] == 80
    assert rules(client_for(cast.student))[-1]["video_percent"] == 80
