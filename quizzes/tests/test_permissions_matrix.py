"""Who may do what, per role: anonymous, the learner, another enrolled learner, a user
without a seat, the course's TA and instructor, another instructor, an admin. Anything a
user may not know exists is a 404. A refused write changes nothing."""

from contextlib import AbstractContextManager, nullcontext

import pytest

from lms.testing import client_for, unchanged
from quizzes import services
from quizzes.models import Attempt, AttemptAnswer, Question, QuestionBank, Quiz, QuizItem

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous", "student", "other_student", "outsider", "ta", "instructor",
    "other_instructor", "admin",
)  # fmt: skip
COUNTED = (Quiz, QuizItem, QuestionBank, Question, Attempt, AttemptAnswer)


@pytest.fixture
def world(people, course, quiz_factory):
    quiz = quiz_factory(kinds=("single", "essay"), max_attempts=5)
    client = client_for(people.student)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]["id"]
    essay = AttemptAnswer.objects.get(attempt_id=attempt_id, question__kind="essay")
    client.put(
        f"/api/v1/attempts/{attempt_id}/answers/",
        {"answers": [{"answer_id": essay.pk, "response": {"text": "x"}}]},
        format="json",
    )
    services.attempt_submit(attempt=Attempt.objects.get(pk=attempt_id))
    open_attempt = (
        client_for(people.other_student)
        .post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
        .json()["data"]["id"]
    )
    question = Question.objects.filter(kind="single").first()
    return {
        "quiz": quiz,
        "course": course,
        "attempt": attempt_id,
        "open_attempt": open_attempt,
        "essay": essay.pk,
        "bank": question.bank_id,
        "question": question.pk,
    }


def nothing_changes(world) -> AbstractContextManager[None]:
    rows = [
        world["quiz"],
        Question.objects.get(pk=world["question"]),
        *Attempt.objects.filter(quiz=world["quiz"]),
        *AttemptAnswer.objects.filter(attempt__quiz=world["quiz"]),
    ]
    return unchanged(*rows, counts=COUNTED)


# (method, path, body, expected status per role in ROLES order)
CASES = [
    ("get", "/api/v1/quizzes/{quiz}/", None, [401, 200, 200, 404, 200, 200, 404, 200]),
    ("patch", "/api/v1/quizzes/{quiz}/", {"title": "T"}, [401, 403, 403, 404, 403, 200, 404, 200]),
    ("get", "/api/v1/courses/{slug}/quizzes/", None, [401, 200, 200, 403, 200, 200, 403, 200]),
    ("post", "/api/v1/courses/{slug}/quizzes/", {"title": "New"},
     [401, 403, 403, 403, 403, 201, 403, 201]),
    ("get", "/api/v1/quizzes/{quiz}/attempts/", None, [401, 200, 200, 404, 200, 200, 404, 200]),
    ("post", "/api/v1/quizzes/{quiz}/attempts/", None, [401, 201, 200, 404, 403, 403, 404, 403]),
    ("get", "/api/v1/attempts/{attempt}/", None, [401, 200, 404, 404, 200, 200, 404, 200]),
    ("put", "/api/v1/attempts/{open_attempt}/answers/", {"answers": []},
     [401, 404, 200, 404, 403, 403, 404, 403]),
    ("post", "/api/v1/attempts/{attempt}/submit/", None, [401, 200, 404, 404, 403, 403, 404, 403]),
    ("get", "/api/v1/quizzes/{quiz}/grading-queue/", None,
     [401, 403, 403, 404, 200, 200, 404, 200]),
    ("post", "/api/v1/attempt-answers/{essay}/grade/", {"points": "1"},
     [401, 404, 404, 404, 200, 200, 404, 200]),
    ("get", "/api/v1/quizzes/{quiz}/statistics/", None, [401, 403, 403, 404, 200, 200, 404, 200]),
    ("get", "/api/v1/courses/{slug}/question-banks/", None,
     [401, 403, 403, 403, 200, 200, 403, 200]),
    ("get", "/api/v1/question-banks/{bank}/questions/", None,
     [401, 404, 404, 404, 200, 200, 404, 200]),
    ("post", "/api/v1/question-banks/{bank}/questions/",
     {"kind": "true_false", "prompt": "?", "key": {"correct": True}},
     [401, 404, 404, 404, 403, 201, 404, 201]),
    ("get", "/api/v1/questions/{question}/", None, [401, 404, 404, 404, 200, 200, 404, 200]),
    ("patch", "/api/v1/questions/{question}/", {"prompt": "Changed?"},
     [401, 404, 404, 404, 403, 200, 404, 200]),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "expected"), CASES)
def test_role_matrix(people, world, method, path, body, expected):
    url = path.format(
        quiz=world["quiz"].pk,
        slug=world["course"].slug,
        attempt=world["attempt"],
        open_attempt=world["open_attempt"],
        essay=world["essay"],
        bank=world["bank"],
        question=world["question"],
    )
    got = []
    for role, status in zip(ROLES, expected, strict=True):
        client = client_for(people.user(role))
        refused = method != "get" and status >= 400
        with nothing_changes(world) if refused else nullcontext():
            response = getattr(client, method)(url, body, format="json")
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", (role, url)
        got.append(response.status_code)
    assert got == expected, dict(zip(ROLES, got, strict=True))
