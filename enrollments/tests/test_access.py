"""Lesson access: the predicate and GET lessons/{id}/ for every role and lock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.tests.factories import LessonFactory
from enrollments.models import Enrollment, LessonCompletion
from enrollments.permissions import can_access_lesson
from enrollments.services import enrollment_create, enrollment_drop, enrollment_revoke
from lms.testing import ROLES, client_for, course_lessons, make_course, unchanged

pytestmark = pytest.mark.django_db


def get_lesson(user, lesson):
    return client_for(user).get(f"/api/v1/lessons/{lesson.pk}/")


@pytest.fixture
def enrolled(cast, course):
    return enrollment_create(user=cast.student, course=course)


# Plain lesson of a published course: who gets what.
PLAIN = {
    "anonymous": 404,
    "student": 200,  # enrolled
    "other_student": 404,
    "outsider": 404,
    "owner": 200,
    "instructor": 200,
    "ta": 200,
    "other_instructor": 404,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_plain_lesson_matrix(cast, course, enrolled, role):
    lesson = course_lessons(course)[0]
    response = get_lesson(cast.user(role), lesson)
    assert response.status_code == PLAIN[role], response.content
    if response.status_code == 200:
        assert response.json()["data"]["body_html"]
    else:
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", ROLES)
def test_preview_lesson_is_for_anyone(cast, course, role):
    lesson = LessonFactory(module=course_lessons(course)[0].module, is_preview=True)
    assert get_lesson(cast.user(role), lesson).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_draft_course_lessons_only_for_the_team(cast, role):
    course = make_course(cast, published=False)
    lesson = LessonFactory(module=course_lessons(course)[0].module, is_preview=True)
    expected = 200 if role in ("owner", "instructor", "ta", "admin") else 404
    assert get_lesson(cast.user(role), lesson).status_code == expected


def test_unreleased_absolute_date(cast, course, enrolled):
    release = timezone.now() + timedelta(days=2)
    lesson = LessonFactory(module=course_lessons(course)[0].module, release_at=release)
    response = get_lesson(cast.student, lesson)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "not_released"
    assert body["unlock_at"] == release.isoformat().replace("+00:00", "Z")
    # Outsiders learn nothing; the team reads it early.
    assert get_lesson(cast.other_student, lesson).status_code == 404
    assert get_lesson(cast.owner, lesson).status_code == 200
    with unchanged(enrolled, counts=(LessonCompletion,)):
        refused = client_for(cast.student).post(f"/api/v1/lessons/{lesson.pk}/complete/")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_released")


def test_release_after_days_counts_from_enrolling(cast, course, enrolled):
    lesson = LessonFactory(module=course_lessons(course)[0].module, release_after_days=3)
    decision = can_access_lesson(cast.student, lesson)
    assert (decision.allowed, decision.reason) == (False, "not_released")
    assert decision.unlock_at == enrolled.enrolled_at + timedelta(days=3)
    Enrollment.objects.filter(pk=enrolled.pk).update(
        enrolled_at=timezone.now() - timedelta(days=3, seconds=1)
    )
    lesson.module.course.refresh_from_db()
    assert get_lesson(cast.student, lesson).status_code == 200


def test_prerequisites_lock_until_earlier_required_lessons_done(cast, course, enrolled):
    first, second, third = course_lessons(course)
    third.requires_prerequisites = True
    third.save()
    response = get_lesson(cast.student, third)
    assert response.status_code == 403
    assert response.json()["code"] == "prerequisite"
    client = client_for(cast.student)
    assert client.post(f"/api/v1/lessons/{first.pk}/complete/").status_code == 200
    assert get_lesson(cast.student, third).json()["code"] == "prerequisite"
    # An optional earlier lesson does not block.
    second.required_for_completion = False
    second.save()
    assert get_lesson(cast.student, third).status_code == 200


@pytest.mark.parametrize("leave", ["drop", "revoke"])
def test_dropped_or_revoked_learners_lose_access(cast, course, enrolled, leave):
    lesson = course_lessons(course)[0]
    assert get_lesson(cast.student, lesson).status_code == 200
    if leave == "drop":
        enrollment_drop(enrollment=enrolled)
    else:
        enrollment_revoke(enrollment=enrolled, by=cast.owner)
    assert get_lesson(cast.student, lesson).status_code == 404
    with unchanged(enrolled, counts=(LessonCompletion,)):
        refused = client_for(cast.student).post(f"/api/v1/lessons/{lesson.pk}/complete/")
    assert refused.status_code == 404


def test_waitlisted_learner_has_no_access(cast):
    course = make_course(cast, capacity=1)
    enrollment_create(user=cast.other_student, course=course)
    waiting = enrollment_create(user=cast.student, course=course)
    assert waiting.status == "waitlisted"
    assert get_lesson(cast.student, course_lessons(course)[0]).status_code == 404


def test_unknown_lesson_is_404(cast):
    assert client_for(cast.student).get("/api/v1/lessons/999999/").status_code == 404


def test_courses_learner_check_opens_content_in_courses_api(cast, course, enrolled):
    lesson = course_lessons(course)[0]
    url = f"/api/v1/courses/{course.slug}/lessons/{lesson.pk}/"
    assert client_for(cast.student).get(url).json()["data"]["content_locked"] is False
    assert client_for(cast.other_student).get(url).json()["data"]["content_locked"] is True


def test_outline_state_for_an_enrolled_learner(cast, course, enrolled):
    first, second, third = course_lessons(course)
    third.requires_prerequisites = True
    third.save()
    later = timezone.now() + timedelta(days=1)
    second.release_at = later
    second.save()
    client_for(cast.student).post(f"/api/v1/lessons/{first.pk}/complete/")
    outline = client_for(cast.student).get(f"/api/v1/courses/{course.slug}/outline/")
    states = {
        lesson["id"]: lesson["state"]
        for module in outline.json()["data"]["modules"]
        for lesson in module["lessons"]
    }
    assert states[first.pk] == {
        "completed": True,
        "locked": False,
        "lock_reason": None,
        "unlock_at": None,
    }
    assert states[second.pk]["locked"] is True
    assert states[second.pk]["lock_reason"] == "not_released"
    assert states[second.pk]["unlock_at"] == later.isoformat().replace("+00:00", "Z")
    assert states[third.pk]["lock_reason"] == "prerequisite"
    other = client_for(cast.other_student).get(f"/api/v1/courses/{course.slug}/outline/")
    assert all(
        lesson["state"] is None
        for module in other.json()["data"]["modules"]
        for lesson in module["lessons"]
    )


@pytest.mark.parametrize(
    "gate",
    [
        {"release_at": timezone.now() + timedelta(days=2)},
        {"release_after_days": 7},
        {"requires_prerequisites": True},
    ],
)
def test_courses_api_never_serves_gated_content_to_learners(cast, course, enrolled, gate):
    """Release rules are per learner: only the access-checked lessons/{id}/ may serve them."""
    first = course_lessons(course)[0]
    lesson = LessonFactory(module=first.module, body="secret answer", **gate)
    url = f"/api/v1/courses/{course.slug}/lessons/{lesson.pk}/"
    learner_view = client_for(cast.student).get(url).json()["data"]
    assert learner_view["content_locked"] is True and learner_view["body"] is None
    assert client_for(cast.owner).get(url).json()["data"]["body"] == "secret answer"
