"""The lesson player (enrollments' learner portal) with the activities of the apps above
it: a quiz lesson links to its quiz, an assignment lesson to its assignment, and neither
is marked complete by hand (the completion rules of decision 0014). Here because the
portal's own tests (enrollments) may not import quizzes or assignments."""

import pytest
from django.test import Client

from accounts.models import User
from assignments.tests.factories import make_assignment
from courses.models import Lesson, Module
from courses.services import lesson_create
from enrollments.models import LessonCompletion
from lms.testing import Cast, make_course, unchanged
from quizzes.services import quiz_create

pytestmark = pytest.mark.django_db


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def lesson_url(lesson: Lesson) -> str:
    return f"/learn/courses/{lesson.module.course.slug}/lessons/{lesson.pk}/"


def activity_lessons(cast: Cast) -> tuple[Lesson, int, Lesson, int]:
    course = make_course(cast, enroll=("student",))
    module = Module.objects.get(course=course)
    quiz_lesson = lesson_create(module=module, title="Check", kind="quiz")
    quiz = quiz_create(course=course, by=cast.owner, title="Q", lesson=quiz_lesson, published=True)
    task_lesson = lesson_create(module=module, title="Task", kind="assignment")
    task = make_assignment(course, by=cast.owner, lesson=task_lesson)
    return quiz_lesson, quiz.pk, task_lesson, task.pk


def test_quiz_and_assignment_lessons_link_to_their_activity(cast: Cast):
    quiz_lesson, quiz_id, task_lesson, task_id = activity_lessons(cast)
    client = client_as(cast.student)

    page = client.get(lesson_url(quiz_lesson)).content.decode()
    assert f'href="/quizzes/{quiz_id}/take/">Take the quiz</a>' in page
    assert "Mark complete" not in page
    assert "completes when you" in page  # what completes it instead

    page = client.get(lesson_url(task_lesson)).content.decode()
    assert f'href="/learn/assignments/{task_id}/">Open the assignment</a>' in page
    assert "Mark complete" not in page
    assert "assignment" in page[page.index('class="completion"') :]

    staff = client_as(cast.owner).get(lesson_url(quiz_lesson)).content.decode()
    assert f'href="/quizzes/{quiz_id}/take/"' in staff


def test_marking_an_activity_lesson_complete_is_refused_with_the_reason(cast: Cast):
    quiz_lesson, _, task_lesson, _ = activity_lessons(cast)
    client = client_as(cast.student)
    for lesson, word in ((quiz_lesson, "quiz"), (task_lesson, "assignment")):
        with unchanged(counts=(LessonCompletion,)):
            response = client.post(f"{lesson_url(lesson)}complete/", follow=True)
        assert response.status_code == 200
        shown = [str(message) for message in response.context["messages"]]
        assert len(shown) == 1 and word in shown[0]
