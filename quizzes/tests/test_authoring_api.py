"""Authoring through the API: banks, questions, quizzes and items; bad input is a clear
400 problem and writes nothing."""

import pytest
from django.core.exceptions import ValidationError

from courses.tests.factories import LessonFactory, ModuleFactory
from lms.testing import client_for, make_course, unchanged
from quizzes import services
from quizzes.models import Question, Quiz, QuizItem

pytestmark = pytest.mark.django_db


def problem(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_author_a_quiz_end_to_end_through_the_api(people, course):
    owner = client_for(people.owner)
    bank = owner.post(
        f"/api/v1/courses/{course.slug}/question-banks/", {"title": "B1"}, format="json"
    )
    assert bank.status_code == 201
    bank_id = bank.json()["data"]["id"]
    question = owner.post(
        f"/api/v1/question-banks/{bank_id}/questions/",
        {
            "kind": "single",
            "prompt": "Pick A",
            "data": {"options": [{"id": "a", "text": "A"}, {"text": "B"}]},
            "key": {"correct": "a"},
            "points": "2.5",
            "tags": ["Week-1"],
        },
        format="json",
    )
    assert question.status_code == 201, question.content
    body = question.json()["data"]
    assert body["tags"] == ["week-1"] and body["data"]["options"][1]["id"]  # id assigned
    lesson = course.modules.first().lessons.first()
    quiz = owner.post(
        f"/api/v1/courses/{course.slug}/quizzes/",
        {"title": "Q", "lesson": lesson.pk, "max_attempts": 2, "score_policy": "average"},
        format="json",
    )
    assert quiz.status_code == 201, quiz.content
    quiz_id = quiz.json()["data"]["id"]
    item = owner.post(
        f"/api/v1/quizzes/{quiz_id}/items/", {"question": body["id"], "points": "3"}, format="json"
    )
    assert item.status_code == 201
    detail = owner.get(f"/api/v1/quizzes/{quiz_id}/").json()["data"]
    assert detail["points_possible"] == "3.00"
    assert detail["items"][0]["question"]["key"] == {"correct": "a"}
    assert owner.delete(f"/api/v1/quiz-items/{item.json()['data']['id']}/").status_code == 204
    assert owner.delete(f"/api/v1/quizzes/{quiz_id}/").status_code == 204
    assert not Quiz.objects.filter(pk=quiz_id).exists()


def test_bad_authoring_input_is_a_400_problem_and_writes_nothing(people, course):
    owner = client_for(people.owner)
    bank_id = owner.post(
        f"/api/v1/courses/{course.slug}/question-banks/", {"title": "B"}, format="json"
    ).json()["data"]["id"]
    url = f"/api/v1/question-banks/{bank_id}/questions/"
    for bad, pointer in (
        ({"kind": "nope", "prompt": "?"}, "/kind"),
        ({"kind": "single", "prompt": "?", "data": "options", "key": {}}, "/data"),
        ({"kind": "single", "prompt": "?", "data": {"options": [{"text": "A"}]},
          "key": {"correct": "zz"}}, "/key/correct"),
        ({"kind": "single", "prompt": "?", "data": {"options": [{"text": "A", "correct": True}]},
          "key": {"correct": "zz"}}, "/data/options/0/correct"),
        ({"kind": "multiple", "prompt": "?", "data": {"options": [{"id": "a", "text": "A"}]},
          "key": {"correct": [["a"]]}}, "/key/correct/0"),
        ({"kind": "numeric", "prompt": "?", "key": {"value": "abc"}}, "/key/value"),
        ({"kind": "numeric", "prompt": "?", "key": {"value": "1", "tolerance": "-1",
                                                     "mode": "absolute"}}, "/key/tolerance"),
        ({"kind": "short_text", "prompt": "?",
          "key": {"accepted": [{"text": "(", "regex": True}]}}, "/key/accepted"),
        ({"kind": "ordering", "prompt": "?", "data": {"items": [{"id": "a", "text": "A"}]},
          "key": {"order": ["a", "b"]}}, "/data/items"),
        ({"kind": "true_false", "prompt": "?", "key": {"correct": "yes"}}, "/key/correct"),
        ({"kind": "true_false", "prompt": "?", "key": {"correct": True}, "points": "-1"},
         "/points"),
        ({"kind": "true_false", "prompt": "?", "key": {"correct": True}, "tags": ["a b"]},
         "/tags"),
    ):  # fmt: skip
        with unchanged(counts=(Question,)):
            body = problem(owner.post(url, bad, format="json"))
        assert pointer in [e["pointer"] for e in body["errors"]], (bad, body["errors"])
    assert not Question.objects.exists()

    quizzes = f"/api/v1/courses/{course.slug}/quizzes/"
    other_lesson = LessonFactory(module=ModuleFactory(course=make_course(lessons=0)))
    for bad in (
        {},
        {"title": "Q", "results_policy": "after_due"},
        {"title": "Q", "answers_policy": "after_close"},
        {"title": "Q", "opens_at": "2030-01-02T00:00:00Z", "closes_at": "2030-01-01T00:00:00Z"},
        {"title": "Q", "max_attempts": 0},
        {"title": "Q", "passing_score_percent": "101"},
        {"title": "Q", "lesson": other_lesson.pk},
        {"title": "Q", "score_policy": "best"},
    ):
        problem(owner.post(quizzes, bad, format="json"))
    assert not Quiz.objects.exists()

    quiz_id = owner.post(quizzes, {"title": "Q"}, format="json").json()["data"]["id"]
    items = f"/api/v1/quizzes/{quiz_id}/items/"
    question_id = owner.post(
        url, {"kind": "true_false", "prompt": "?", "key": {"correct": True}}, format="json"
    ).json()["data"]["id"]
    for bad in (
        {},
        {"question": question_id, "draw_bank": bank_id, "draw_count": 1},
        {"draw_bank": bank_id, "draw_count": 5},
        {"question": 999999},
        {"question": question_id, "points": "-2"},
        {"draw_tag": "no spaces!", "draw_count": 1},
    ):
        problem(owner.post(items, bad, format="json"))
    assert not QuizItem.objects.exists()
    patch = owner.patch(f"/api/v1/quizzes/{quiz_id}/", {"due_at": "not a date"}, format="json")
    problem(patch)


def test_an_answered_question_keeps_its_kind_and_cannot_be_deleted(people, course, quiz_factory):
    quiz = quiz_factory(kinds=("true_false",))
    client_for(people.student).post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    question = Question.objects.get(quiz_items__quiz=quiz)
    owner = client_for(people.owner)
    with unchanged(question, quiz, counts=(Question, Quiz, QuizItem)):
        changed = owner.patch(
            f"/api/v1/questions/{question.pk}/",
            {"kind": "essay", "key": {}},
            format="json",
        )
        assert problem(changed, 409)["code"] == "question_in_use"
        assert problem(owner.delete(f"/api/v1/questions/{question.pk}/"), 409)["code"] == (
            "question_in_use"
        )
        assert problem(owner.delete(f"/api/v1/quizzes/{quiz.pk}/"), 409)["code"] == (
            "quiz_has_attempts"
        )


def test_a_question_added_to_a_quiz_is_stored_with_its_item_or_not_at_all(people, course):
    quiz = services.quiz_create(course=course, by=people.owner, title="Q")
    other_bank = services.bank_create(course=make_course(people), title="Elsewhere")
    with pytest.raises(ValidationError):  # the question would belong to another course
        services.quiz_question_add(
            quiz=quiz, bank=other_bank, kind="true_false", prompt="Sky blue?", key={"correct": True}
        )
    assert not Question.objects.filter(bank=other_bank).exists()

    bank = services.bank_create(course=course, title="Here")
    item = services.quiz_question_add(
        quiz=quiz, bank=bank, kind="true_false", prompt="Sky blue?", key={"correct": True}, points=3
    )
    assert item.quiz_id == quiz.pk and item.question.bank_id == bank.pk
    assert item.points == item.question.points == 3
