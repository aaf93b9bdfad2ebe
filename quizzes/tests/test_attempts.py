"""Attempts through the API: start, autosave, submit, hand grading, score policies,
accommodations, lesson completion, and what the gradebook is told."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from enrollments.models import Enrollment, LessonCompletion
from lms.audit.models import AuditLog
from lms.outbox.services import outbox_relay
from lms.testing import client_for, course_lessons, unchanged
from quizzes import services
from quizzes.models import Attempt, AttemptAnswer, Question
from quizzes.tests.conftest import correct_response, wrong_response

pytestmark = pytest.mark.django_db


def start(client, quiz):
    return client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")


def answer_all(client, attempt_id, *, right: bool = True):
    body = []
    for answer in AttemptAnswer.objects.filter(attempt_id=attempt_id).select_related("question"):
        make = correct_response if right else wrong_response
        body.append({"answer_id": answer.pk, "response": make(answer.question)})
    return client.put(f"/api/v1/attempts/{attempt_id}/answers/", {"answers": body}, format="json")


def test_start_returns_drawn_questions_and_resumes_the_one_in_progress(people, quiz_factory):
    quiz = quiz_factory(time_limit_minutes=30)
    client = client_for(people.student)

    first = start(client, quiz)
    assert first.status_code == 201, first.content
    data = first.json()["data"]
    assert [q["kind"] for q in data["questions"]] == [
        "single", "multiple", "true_false", "short_text", "numeric",
        "fill_blanks", "matching", "ordering", "essay",
    ]  # fmt: skip
    started = timezone.now()
    deadline = timezone.datetime.fromisoformat(data["deadline"])
    assert timedelta(minutes=29) < deadline - started <= timedelta(minutes=30)
    assert data["results"] is None

    again = start(client, quiz)
    assert again.status_code == 200
    assert again.json()["data"]["id"] == data["id"]
    assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_autosave_is_partial_and_idempotent_and_submit_grades(people, quiz_factory, signals):
    quiz = quiz_factory()
    client = client_for(people.student)
    attempt_id = start(client, quiz).json()["data"]["id"]
    single = AttemptAnswer.objects.get(attempt_id=attempt_id, question__kind="single")
    body = {"answers": [{"answer_id": single.pk, "response": correct_response(single.question)}]}

    stamps = []
    for _ in range(2):
        saved = client.put(f"/api/v1/attempts/{attempt_id}/answers/", body, format="json")
        assert saved.status_code == 200, saved.content
        [echo] = saved.json()["data"]["answers"]
        assert (echo["answer_id"], echo["response"]) == (single.pk, body["answers"][0]["response"])
        stamps.append(echo["saved_at"])
    assert stamps[0] == stamps[1]  # the repeat changed nothing
    rows = AttemptAnswer.objects.filter(attempt_id=attempt_id)
    assert rows.exclude(response=None).count() == 1

    assert answer_all(client, attempt_id).status_code == 200
    submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    assert submitted.status_code == 200, submitted.content
    results = submitted.json()["data"]["results"]
    # 9 questions x 2 points; the essay waits for a grader.
    assert results["score"] == "16.00" and results["max_score"] == "18.00"
    assert results["final"] is False and results["passed"] is None
    assert signals.scores[-1] == {
        "course_id": quiz.course_id,
        "user_id": people.student.pk,
        "source": "quiz",
        "source_id": quiz.pk,
        "points_earned": Decimal("16.00"),
        "points_possible": Decimal("18.00"),
        "final": False,
    }

    repeat = client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    assert repeat.status_code == 200
    assert repeat.json()["data"] == submitted.json()["data"]
    assert len(signals.scores) == 1  # graded once

    late = client.put(f"/api/v1/attempts/{attempt_id}/answers/", body, format="json")
    assert late.status_code == 409 and late.json()["code"] == "attempt_submitted"


def test_bad_answers_are_400_and_nothing_is_written(people, quiz_factory):
    quiz = quiz_factory(kinds=("single", "numeric"))
    client = client_for(people.student)
    attempt_id = start(client, quiz).json()["data"]["id"]
    single, numeric = AttemptAnswer.objects.filter(attempt_id=attempt_id).order_by("position")
    body = {
        "answers": [
            {"answer_id": single.pk, "response": correct_response(single.question)},
            {"answer_id": numeric.pk, "response": {"value": "NaN"}},
        ]
    }
    rows = list(AttemptAnswer.objects.filter(attempt_id=attempt_id))
    with unchanged(*rows):
        response = client.put(f"/api/v1/attempts/{attempt_id}/answers/", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["attr"], error["pointer"]) == (
        "answers.1.response.value",
        "/answers/1/response/value",
    )
    assert 'Expected {"value": "<number>"}' in error["detail"]

    for bad, pointer in (
        ({"answers": [{"answer_id": 999999, "response": None}]}, "/answers/0/answer_id"),
        ({"answers": "x"}, "/answers"),
        (
            {"answers": [{"answer_id": single.pk, "response": {"choice": "nope"}}]},
            "/answers/0/response/choice",
        ),
        ({"answers": [{"answer_id": single.pk, "response": [1, 2]}]}, "/answers/0/response"),
    ):
        with unchanged(*rows):
            response = client.put(f"/api/v1/attempts/{attempt_id}/answers/", bad, format="json")
        assert response.status_code == 400, (bad, response.content)
        assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


def test_essay_grading_makes_the_score_final_and_passing_completes_the_lesson(
    people, course, quiz_factory, signals
):
    lesson = course_lessons(course)[0]
    quiz = quiz_factory(kinds=("single", "essay"), lesson=lesson, passing_score_percent=75)
    client = client_for(people.student)
    attempt_id = start(client, quiz).json()["data"]["id"]
    answer_all(client, attempt_id)
    client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    enrollment = Enrollment.objects.get(user=people.student, course=course)
    assert not LessonCompletion.objects.filter(enrollment=enrollment, lesson=lesson).exists()

    queue = client_for(people.ta).get(f"/api/v1/quizzes/{quiz.pk}/grading-queue/")
    assert queue.status_code == 200
    [entry] = queue.json()["data"]
    assert entry["response"] == {"text": "My essay."}
    assert client.get(f"/api/v1/quizzes/{quiz.pk}/grading-queue/").status_code == 403

    url = f"/api/v1/attempt-answers/{entry['answer_id']}/grade/"
    too_many = client_for(people.ta).post(url, {"points": "2.50"}, format="json")
    assert too_many.status_code == 400
    assert client.post(url, {"points": "2"}, format="json").status_code == 404  # a learner
    graded = client_for(people.ta).post(url, {"points": "1.5", "feedback": "Good"}, format="json")
    assert graded.status_code == 200, graded.content
    assert graded.json()["data"]["attempt"] == {
        "id": attempt_id, "score": "3.50", "final": True, "passed": True
    }  # fmt: skip
    assert signals.scores[-1]["final"] is True
    assert signals.scores[-1]["points_earned"] == Decimal("3.50")
    assert LessonCompletion.objects.filter(enrollment=enrollment, lesson=lesson).exists()
    entry_log = AuditLog.objects.get(action="quiz.answer_graded")
    assert entry_log.actor_id == people.ta.pk
    assert entry_log.changes == {"points_awarded": [None, "1.50"]}
    assert (
        client_for(people.ta).get(f"/api/v1/quizzes/{quiz.pk}/grading-queue/").json()["data"] == []
    )


def test_attempts_allowed_include_the_accommodation(people, course, quiz_factory):
    quiz = quiz_factory(kinds=("true_false",), max_attempts=1)
    Enrollment.objects.filter(user=people.student).update(extra_attempts=1)
    client = client_for(people.student)
    for _ in range(2):
        attempt_id = start(client, quiz).json()["data"]["id"]
        assert client.post(f"/api/v1/attempts/{attempt_id}/submit/").status_code == 200
    with unchanged(counts=(Attempt, AttemptAnswer)):
        refused = start(client, quiz)
    assert refused.status_code == 403 and refused.json()["code"] == "no_attempts_left"
    other = client_for(people.other_student)
    first = start(other, quiz).json()["data"]["id"]
    client_for(people.other_student).post(f"/api/v1/attempts/{first}/submit/")
    assert start(other, quiz).status_code == 403


@pytest.mark.parametrize(
    ("policy", "expected"), [("highest", "2.00"), ("latest", "0.00"), ("average", "1.00")]
)
def test_score_policies(people, course, quiz_factory, signals, policy, expected):
    quiz = quiz_factory(kinds=("true_false",), max_attempts=2, score_policy=policy)
    client = client_for(people.student)
    for right in (True, False):
        attempt_id = start(client, quiz).json()["data"]["id"]
        answer_all(client, attempt_id, right=right)
        client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    assert signals.scores[-1]["points_earned"] == Decimal(expected)
    assert signals.scores[-1]["final"] is True


def test_changing_a_key_regrades_submitted_attempts_in_the_background(
    people, course, quiz_factory, signals
):
    quiz = quiz_factory(kinds=("single", "true_false"))
    client = client_for(people.student)
    attempt_id = start(client, quiz).json()["data"]["id"]
    answer_all(client, attempt_id, right=True)
    client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    assert Attempt.objects.get(pk=attempt_id).score == Decimal("4.00")
    question = Question.objects.get(kind="true_false", quiz_items__quiz=quiz)

    response = client_for(people.owner).patch(
        f"/api/v1/questions/{question.pk}/", {"key": {"correct": False}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Attempt.objects.get(pk=attempt_id).score == Decimal("4.00")  # not in the request
    outbox_relay()  # what the beat-scheduled relay does (tasks run eagerly in tests)
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.score == Decimal("2.00")
    assert signals.scores[-1]["points_earned"] == Decimal("2.00")
    # Running the regrade again changes nothing.
    assert services.question_regrade(question_id=question.pk) == 0


def test_grade_item_changed_on_create_change_and_delete(people, course, signals):
    quiz = services.quiz_create(course=course, by=people.owner, title="Week 1")
    bank = services.bank_create(course=course, title="B")
    question = services.question_create(
        bank=bank, kind="true_false", prompt="?", key={"correct": True}, points="3"
    )
    services.quiz_item_add(quiz=quiz, question=question, points="2.5")
    due = timezone.now() + timedelta(days=3)
    services.quiz_update(quiz=quiz, by=people.owner, due_at=due, title="Week one")
    quiz_id = quiz.pk
    services.quiz_delete(quiz=quiz, by=people.owner)
    base = {"course_id": course.pk, "source": "quiz", "source_id": quiz_id}
    assert signals.grade_items == [
        {**base, "title": "Week 1", "points_possible": Decimal("0.00"), "due": None,
         "deleted": True},  # worth nothing yet: not a grade item
        {**base, "title": "Week 1", "points_possible": Decimal("2.50"), "due": None,
         "deleted": False},
        {**base, "title": "Week one", "points_possible": Decimal("2.50"), "due": due,
         "deleted": False},
        {**base, "title": "Week one", "points_possible": Decimal("0.00"), "due": due,
         "deleted": True},
    ]  # fmt: skip


def test_draws_pick_distinct_questions_from_bank_and_tag_with_a_stored_seed(people, course):
    bank = services.bank_create(course=course, title="Pool")
    for i in range(6):
        services.question_create(
            bank=bank,
            kind="true_false",
            prompt=f"Q{i}",
            key={"correct": True},
            tags=["hard"] if i % 2 else [],
        )
    quiz = services.quiz_create(course=course, by=people.owner, title="Draws", published=True)
    services.quiz_item_add(quiz=quiz, draw_tag="hard", draw_count=2, points="1")
    services.quiz_item_add(quiz=quiz, draw_bank=bank, draw_count=3, points="2")
    attempt = client_for(people.student).post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    assert attempt.status_code == 201, attempt.content
    rows = list(AttemptAnswer.objects.filter(attempt_id=attempt.json()["data"]["id"]))
    assert len(rows) == 5 and len({r.question_id for r in rows}) == 5
    hard = {q.pk for q in Question.objects.filter(tags__name="hard")}
    assert {r.question_id for r in rows[:2]} <= hard
    assert [r.points_possible for r in rows] == [Decimal(1)] * 2 + [Decimal(2)] * 3
    assert Attempt.objects.get().seed
    too_many = client_for(people.owner).post(
        f"/api/v1/quizzes/{quiz.pk}/items/", {"draw_tag": "hard", "draw_count": 4}, format="json"
    )
    assert too_many.status_code == 400


def test_closed_and_unpublished_quizzes_cannot_be_started(people, course, quiz_factory):
    past = timezone.now() - timedelta(minutes=1)
    closed = quiz_factory(kinds=("true_false",), opens_at=past - timedelta(days=1), closes_at=past)
    draft = quiz_factory(kinds=("true_false",), published=False)
    with unchanged(closed, draft, counts=(Attempt, AttemptAnswer)):
        response = start(client_for(people.student), closed)
        assert response.status_code == 403 and response.json()["code"] == "quiz_closed"
        assert start(client_for(people.student), draft).status_code == 404
