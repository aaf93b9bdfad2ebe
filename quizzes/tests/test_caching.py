"""Quiz blueprints (what a start draws from) are cached with versioned keys: a warm start
reads fewer rows, and every authoring write through the services is seen by the next
start."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from enrollments.services import enrollment_create
from lms.testing import client_for
from quizzes import services
from quizzes.models import AttemptAnswer, Question, QuestionBank
from quizzes.tests.conftest import build_quiz, make_question

pytestmark = pytest.mark.django_db


def start_as_new_learner(course, quiz) -> tuple[int, dict]:
    learner = UserFactory()
    enrollment_create(user=learner, course=course)
    client = client_for(learner)
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert response.status_code == 201, response.content
    return len(ctx.captured_queries), response.json()["data"]


def test_a_warm_start_reads_fewer_rows(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single", "ordering"))
    bank = QuestionBank.objects.get(course=course)
    for _ in range(3):
        make_question(bank, "true_false", tags=["pool"])
    services.quiz_item_add(quiz=quiz, draw_tag="pool", draw_count=2, points="1")
    cold, _ = start_as_new_learner(course, quiz)
    warm, _ = start_as_new_learner(course, quiz)
    again, _ = start_as_new_learner(course, quiz)
    assert warm < cold  # items, questions, pool and tags come from the cache
    assert warm == again


def test_writes_through_the_services_are_seen_by_the_next_start(people, course):
    quiz = build_quiz(course, people.owner, kinds=("ordering",))
    _, first = start_as_new_learner(course, quiz)
    assert len(first["questions"]) == 1

    bank = QuestionBank.objects.get(course=course)
    services.quiz_item_add(quiz=quiz, question=make_question(bank, "single"), points="1")
    _, second = start_as_new_learner(course, quiz)
    assert [q["kind"] for q in second["questions"]] == ["ordering", "single"]

    ordering = Question.objects.get(kind="ordering")
    new_items = [{"id": f"n{i}", "text": t} for i, t in enumerate("abcd")]
    services.question_update(
        question=ordering,
        data={"items": new_items},
        key={"order": [i["id"] for i in new_items]},
    )
    _, third = start_as_new_learner(course, quiz)
    assert {i["id"] for i in third["questions"][0]["items"]} == {"n0", "n1", "n2", "n3"}
    answer = AttemptAnswer.objects.get(pk=third["questions"][0]["answer_id"])
    assert sorted(answer.order["items"]) == ["n0", "n1", "n2", "n3"]

    for _ in range(2):
        make_question(bank, "true_false", tags=["late"])
    services.quiz_item_add(quiz=quiz, draw_tag="late", draw_count=2, points="1")
    _, fourth = start_as_new_learner(course, quiz)
    assert len(fourth["questions"]) == 4
    extra = make_question(bank, "numeric", tags=["late"])  # joins the pool: drawn sometimes
    seen = set()
    for _ in range(12):
        _, data = start_as_new_learner(course, quiz)
        seen |= set(
            AttemptAnswer.objects.filter(
                pk__in=[q["answer_id"] for q in data["questions"]]
            ).values_list("question_id", flat=True)
        )
    assert extra.pk in seen
