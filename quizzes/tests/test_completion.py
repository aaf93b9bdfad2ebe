"""A quiz lesson completes through its quiz (docs/decisions/0014-completion-rules.md):
submitting it when the quiz has no pass mark, passing it when it has one (an attempt with
essays waiting completes the lesson on grading if it then passes); never on the learner's
own request."""

from decimal import Decimal

import pytest

from courses.tests.factories import LessonFactory
from enrollments.models import Enrollment, LessonCompletion
from enrollments.selectors import lesson_completion_check
from enrollments.services import progress_recompute
from lms.testing import client_for, course_lessons, unchanged
from quizzes import services
from quizzes.models import AttemptAnswer
from quizzes.tests.conftest import correct_response, wrong_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz_lesson(course):
    lesson = LessonFactory(module=course_lessons(course)[0].module, kind="quiz")
    progress_recompute(course_id=course.pk)
    return lesson


def take(user, quiz, *, right=True, submit=True):
    """Start, answer every question (right or wrong) and submit, through the API."""
    client = client_for(user)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]["id"]
    body = [
        {
            "answer_id": answer.pk,
            "response": (correct_response if right else wrong_response)(answer.question),
        }
        for answer in AttemptAnswer.objects.filter(attempt_id=attempt_id).select_related("question")
    ]
    saved = client.put(f"/api/v1/attempts/{attempt_id}/answers/", {"answers": body}, format="json")
    assert saved.status_code == 200, saved.content
    if submit:
        submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit/")
        assert submitted.status_code == 200, submitted.content
    return attempt_id


def completed(people, course, lesson) -> bool:
    enrollment = Enrollment.objects.get(user=people.student, course=course)
    return LessonCompletion.objects.filter(enrollment=enrollment, lesson=lesson).exists()


def request(people, lesson):
    return client_for(people.student).post(f"/api/v1/lessons/{lesson.pk}/complete/")


def test_the_request_is_refused_with_the_reason(people, course, quiz_lesson, quiz_factory):
    quiz = quiz_factory(kinds=("single",), lesson=quiz_lesson, passing_score_percent=60)
    enrollment = Enrollment.objects.get(user=people.student, course=course)
    with unchanged(enrollment, counts=(LessonCompletion,)):
        response = request(people, quiz_lesson)
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["rule"], body["activity_id"]) == (
        "completes_with_quiz",
        "quiz_pass",
        quiz.pk,
    )
    decision = lesson_completion_check(user=people.student, lesson=quiz_lesson, course=course)
    assert (decision.allowed, decision.code) == (False, "completes_with_quiz")


def test_without_a_pass_mark_submitting_completes_even_a_failing_attempt(
    people, course, quiz_lesson, quiz_factory
):
    quiz = quiz_factory(kinds=("single",), lesson=quiz_lesson, passing_score_percent=0)
    assert request(people, quiz_lesson).json()["rule"] == "quiz_submit"
    take(people.student, quiz, right=False, submit=False)
    assert not completed(people, course, quiz_lesson)  # answering is not submitting
    attempt = quiz.attempts.get()
    services.attempt_submit(attempt=attempt)
    assert completed(people, course, quiz_lesson)
    again = request(people, quiz_lesson)  # already complete: the request is idempotent
    assert again.status_code == 200
    assert again.json()["data"]["created"] is False


def test_without_a_pass_mark_submitting_completes_with_essays_pending(
    people, course, quiz_lesson, quiz_factory
):
    quiz = quiz_factory(kinds=("single", "essay"), lesson=quiz_lesson, passing_score_percent=0)
    take(people.student, quiz)
    attempt = quiz.attempts.get()
    assert (attempt.pending_count, attempt.passed) == (1, None)
    assert completed(people, course, quiz_lesson)


def test_with_a_pass_mark_a_failing_attempt_does_not_complete_and_a_passing_one_does(
    people, course, quiz_lesson, quiz_factory
):
    quiz = quiz_factory(
        kinds=("single", "true_false"), lesson=quiz_lesson, passing_score_percent=60, max_attempts=2
    )
    take(people.student, quiz, right=False)
    assert quiz.attempts.get().passed is False
    assert not completed(people, course, quiz_lesson)
    assert request(people, quiz_lesson).status_code == 409
    take(people.student, quiz, right=True)
    assert completed(people, course, quiz_lesson)


def test_a_pending_attempt_completes_when_grading_makes_it_pass(
    people, course, quiz_lesson, quiz_factory
):
    quiz = quiz_factory(kinds=("single", "essay"), lesson=quiz_lesson, passing_score_percent=75)
    take(people.student, quiz)
    assert quiz.attempts.get().passed is None  # the essay waits for a grader
    assert not completed(people, course, quiz_lesson)
    assert request(people, quiz_lesson).status_code == 409
    essay = AttemptAnswer.objects.get(attempt__quiz=quiz, question__kind="essay")
    services.answer_grade(answer=essay, points=Decimal("0.50"), by=people.ta)  # 62.5 %
    assert quiz.attempts.get().passed is False
    assert not completed(people, course, quiz_lesson)
    services.answer_grade(answer=essay, points=Decimal("2.00"), by=people.ta)  # regraded: 100 %
    assert quiz.attempts.get().passed is True
    assert completed(people, course, quiz_lesson)


def test_the_outline_shows_the_rule_and_follows_the_pass_mark(
    people, course, quiz_lesson, quiz_factory
):
    quiz = quiz_factory(kinds=("single",), lesson=quiz_lesson, passing_score_percent=60)
    url = f"/api/v1/courses/{course.slug}/outline/"

    def rule(client):
        data = client.get(url).json()["data"]
        lessons = [lesson for m in data["modules"] for lesson in m["lessons"]]
        [mine] = [lesson for lesson in lessons if lesson["id"] == quiz_lesson.pk]
        return mine["activity_id"], mine["completion"]

    anonymous, student = client_for(None), client_for(people.student)
    expected = (quiz.pk, {"rule": "quiz_pass", "pass_percent": "60.00", "video_percent": None})
    assert rule(anonymous) == rule(student) == expected
    services.quiz_update(quiz=quiz, by=people.owner, passing_score_percent=Decimal("0"))
    expected = (quiz.pk, {"rule": "quiz_submit", "pass_percent": None, "video_percent": None})
    assert rule(anonymous) == rule(student) == expected
