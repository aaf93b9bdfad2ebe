"""Start and submit run the same number of queries for 10 and 40 questions, and every
list runs a constant number of queries for two sizes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from enrollments.services import enrollment_create
from lms.testing import client_for
from quizzes.models import AttemptAnswer
from quizzes.tests.conftest import QUESTION_SPECS, build_quiz, correct_response

pytestmark = pytest.mark.django_db

KINDS = tuple(QUESTION_SPECS)


def kinds(n: int) -> tuple[str, ...]:
    return tuple(KINDS[i % len(KINDS)] for i in range(n))


def measure(call):
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code in (200, 201), response.content
    return len(ctx.captured_queries), response


def start_and_submit(people, course, n: int) -> tuple[int, int, int]:
    quiz = build_quiz(course, people.owner, kinds=kinds(n), shuffle_options=True)
    learner = UserFactory()
    enrollment_create(user=learner, course=course)
    client = client_for(learner)
    started_queries, started = measure(lambda: client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/"))
    attempt_id = started.json()["data"]["id"]
    assert len(started.json()["data"]["questions"]) == n
    body = {
        "answers": [
            {"answer_id": a.pk, "response": correct_response(a.question)}
            for a in AttemptAnswer.objects.filter(attempt_id=attempt_id).select_related("question")
        ]
    }
    saved_queries, _ = measure(
        lambda: client.put(f"/api/v1/attempts/{attempt_id}/answers/", body, format="json")
    )
    submitted_queries, submitted = measure(
        lambda: client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    )
    assert submitted.json()["data"]["status"] == "submitted"
    return started_queries, saved_queries, submitted_queries


def test_start_autosave_and_submit_queries_do_not_grow_with_questions(people, course):
    ten = start_and_submit(people, course, 10)
    forty = start_and_submit(people, course, 40)
    assert ten == forty, (ten, forty)


def _list_sizes(people, course, n: int):
    quiz = build_quiz(course, people.owner, kinds=("single", "essay"), max_attempts=1)
    for _ in range(n):
        learner = UserFactory()
        enrollment_create(user=learner, course=course)
        client = client_for(learner)
        attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]["id"]
        essay = AttemptAnswer.objects.get(attempt_id=attempt_id, question__kind="essay")
        client.put(
            f"/api/v1/attempts/{attempt_id}/answers/",
            {"answers": [{"answer_id": essay.pk, "response": {"text": "essay"}}]},
            format="json",
        )
        client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    return quiz


@pytest.mark.parametrize(
    "path",
    ["/api/v1/quizzes/{quiz}/attempts/", "/api/v1/quizzes/{quiz}/grading-queue/"],
)
def test_team_lists_run_constant_queries(people, course, path):
    small = _list_sizes(people, course, 3)
    large = _list_sizes(people, course, 12)
    client = client_for(people.ta)
    counts = []
    for quiz, expected in ((small, 3), (large, 12)):
        queries, response = measure(lambda q=quiz: client.get(path.format(quiz=q.pk)))
        assert len(response.json()["data"]) == expected
        counts.append(queries)
    assert counts[0] == counts[1]


def test_course_quizzes_banks_and_questions_lists_run_constant_queries(people, course):
    from quizzes import services

    owner = client_for(people.owner)
    counts = []
    made = {"quizzes": 0, "banks": 1}  # build_quiz makes "Bank"
    for n in (2, 9):
        for _ in range(n):
            build_quiz(course, people.owner, kinds=("true_false",))
        bank = services.bank_create(course=course, title=f"bank {n}")
        for i in range(n):
            services.question_create(
                bank=bank, kind="true_false", prompt=f"q{i}", key={"correct": True}, tags=["x"]
            )
        q1, quizzes = measure(lambda: owner.get(f"/api/v1/courses/{course.slug}/quizzes/"))
        q2, banks = measure(lambda: owner.get(f"/api/v1/courses/{course.slug}/question-banks/"))
        q3, questions = measure(
            lambda b=bank: owner.get(f"/api/v1/question-banks/{b.pk}/questions/")
        )
        made["quizzes"] += n
        made["banks"] += 1
        assert len(questions.json()["data"]) == n
        assert len(quizzes.json()["data"]) == made["quizzes"]
        assert len(banks.json()["data"]) == made["banks"]
        counts.append((q1, q2, q3))
    assert counts[0] == counts[1]
