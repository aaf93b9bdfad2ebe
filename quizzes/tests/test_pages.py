"""The instructor pages (session login): the quiz list and banks, the builder with a
question of every type, draws and settings, the grading queue, the results, and the
learner's page to take a quiz. Roles: the team reads, owners and instructors author,
TAs grade; others get 403 (visible course) or 404 (draft)."""

from decimal import Decimal

import pytest
from django.test import Client

from courses.tests.factories import CourseFactory
from lms.testing import unchanged
from quizzes import services
from quizzes.models import Attempt, AttemptAnswer, Question, QuestionBank, Quiz, QuizItem
from quizzes.tests.conftest import build_quiz

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_who_may_open_the_quiz_pages(people, course):
    url = f"/instructor/courses/{course.slug}/quizzes/"
    assert browser(None).get(url).status_code == 302
    for role, expected in (
        ("student", 403),
        ("other_instructor", 403),
        ("ta", 200),
        ("instructor", 200),
        ("owner", 200),
        ("admin", 200),
    ):
        assert browser(getattr(people, role)).get(url).status_code == expected, role
    draft = CourseFactory()
    assert (
        browser(people.other_instructor)
        .get(f"/instructor/courses/{draft.slug}/quizzes/")
        .status_code
        == 404
    )


QUESTION_POSTS = {
    "single": {"question-choices": "*Paris\nLyon\nNice"},
    "multiple": {"question-choices": "*2\n*3\n4", "question-scoring": "partial",
                 "question-penalty": "1"},
    "true_false": {"question-true_false": "false"},
    "short_text": {"question-answers": "Paris | /par[iy]s/"},
    "numeric": {"question-numeric_value": "3.14", "question-tolerance": "0.01",
                "question-tolerance_mode": "absolute"},
    "fill_blanks": {"question-answers": "red | rouge\nblue"},
    "matching": {"question-pairs": "France = Paris\nSpain = Madrid"},
    "ordering": {"question-items": "one\ntwo\nthree", "question-scoring": "partial"},
    "essay": {"question-guidance": "Look for two arguments."},
}  # fmt: skip


def test_the_owner_builds_a_quiz_with_every_question_type(people, course):
    owner = browser(people.owner)
    listing = f"/instructor/courses/{course.slug}/quizzes/"
    assert owner.post(listing, {"create_bank": "1", "bank-title": "Main"}).status_code == 302
    response = owner.post(listing, {"create_quiz": "1", "quiz-title": "Midterm"})
    quiz = Quiz.objects.get(title="Midterm")
    assert response.status_code == 302 and response["Location"].endswith(f"/{quiz.pk}/")
    bank = QuestionBank.objects.get(title="Main")
    builder = f"{listing}{quiz.pk}/"
    for kind, fields in QUESTION_POSTS.items():
        post = {
            "question-kind": kind,
            "question-bank": bank.pk,
            "question-prompt": f"The {kind} question",
            "question-points": "2",
            "question-tags": "week1",
            **fields,
        }
        response = owner.post(f"{builder}questions/", post)
        assert response.status_code == 302, (kind, response.content.decode()[:3000])
    assert (
        owner.post(
            f"{builder}draws/", {"draw-tag": "week1", "draw-count": "0", "draw-points": "1"}
        ).status_code
        == 302
    )  # refused with a message: count 0
    assert quiz.items.count() == 9
    questions = {q.kind: q for q in Question.objects.filter(bank=bank)}
    single = questions["single"]
    assert single.key["correct"] == single.data["options"][0]["id"]
    assert questions["numeric"].key == {"value": "3.14", "tolerance": "0.01", "mode": "absolute"}
    assert questions["ordering"].data["scoring"] == "per_position"
    page = owner.get(builder)
    assert page.status_code == 200 and page.content.decode().count('data-kind="') == 9
    assert "18.00" in page.content.decode()

    with unchanged(quiz, counts=(Question, QuizItem)):
        bad = owner.post(
            f"{builder}questions/",
            {"question-kind": "single", "question-bank": bank.pk, "question-prompt": "?",
             "question-points": "1", "question-choices": "A\nB"},
        )  # fmt: skip
    assert bad.status_code == 400  # no correct option: refused
    assert "The correct option must be one of the options." in bad.content.decode()

    settings = {
        "title": "Midterm",
        "max_attempts": "2",
        "passing_score_percent": "50",
        "score_policy": "latest",
        "results_policy": "after_submit",
        "answers_policy": "never",
        "published": "on",
        "time_limit_minutes": "30",
    }
    assert owner.post(builder, settings).status_code == 302
    quiz.refresh_from_db()
    assert (quiz.published, quiz.max_attempts, quiz.score_policy) == (True, 2, "latest")
    with unchanged(quiz):
        refused = owner.post(builder, {**settings, "results_policy": "after_due"})
    assert refused.status_code == 400  # no due date: the service refuses
    assert "Set a due date for this policy." in refused.content.decode()
    quiz.refresh_from_db()
    assert quiz.results_policy == "after_submit"


def test_a_ta_reads_and_grades_but_does_not_author(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single", "essay"))
    attempt, _ = services.attempt_start(
        quiz=quiz,
        user=people.student,
        enrollment=people.student.enrollments.get(course=course),
    )
    essay = AttemptAnswer.objects.get(attempt=attempt, question__kind="essay")
    services.attempt_answers_save(
        attempt=attempt, answers=[{"answer_id": essay.pk, "response": {"text": "Essay!"}}]
    )
    services.attempt_submit(attempt=attempt)
    ta = browser(people.ta)
    base = f"/instructor/courses/{course.slug}/quizzes/{quiz.pk}/"
    assert ta.get(base).status_code == 200
    with unchanged(quiz, counts=(Question, QuizItem)):
        assert ta.post(f"{base}questions/", {}).status_code == 403
        assert ta.post(base, {"title": "x"}).status_code == 403
    queue = ta.get(f"{base}grading/")
    assert "Essay!" in queue.content.decode()
    assert ta.post(f"{base}grading/{essay.pk}/", {"points": "1.5"}).status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == Decimal("1.50") and attempt.is_final  # single left blank
    results = ta.get(f"{base}results/")
    assert results.status_code == 200
    assert 'id="question-stats"' in results.content.decode()
    assert browser(people.student).get(f"{base}grading/").status_code == 403


def test_a_learner_takes_a_quiz_on_the_page(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single", "numeric", "true_false", "essay"))
    learner = browser(people.student)
    page = learner.get(f"/quizzes/{quiz.pk}/take/")
    assert page.status_code == 200 and "Start attempt" in page.content.decode()
    assert not Attempt.objects.exists()  # a GET starts nothing
    assert learner.post(f"/quizzes/{quiz.pk}/take/", {"start": "1"}).status_code == 302
    assert "Submit" in learner.get(f"/quizzes/{quiz.pk}/take/").content.decode()
    attempt = Attempt.objects.get(quiz=quiz, user=people.student)
    answers = {a.question.kind: a for a in attempt.answers.select_related("question")}
    post = {
        f"answer-{answers['single'].pk}": answers["single"].question.key["correct"],
        f"answer-{answers['numeric'].pk}": "2718.2819",
        f"answer-{answers['true_false'].pk}": "true",
        f"answer-{answers['essay'].pk}": "My essay",
        "submit": "1",
    }
    response = learner.post(f"/quizzes/{quiz.pk}/take/", post)
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.score == Decimal("6.00")
    result = learner.get(response["Location"])
    assert "6.00 / 8.00" in result.content.decode()
    assert browser(people.other_student).get(response["Location"]).status_code == 404
