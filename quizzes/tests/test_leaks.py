"""Nothing leaked early: before the quiz's policies allow, no learner-facing response
(quiz detail, attempt start, autosave, submit, attempt detail, my attempts) carries a
correct option id, an accepted answer, a numeric key, the correct order or pairs, grader
guidance, or any correctness flag or score. The scan walks the JSON recursively against
the answer keys; the same scan finds the keys once the policies allow (so it can fail)."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from lms.testing import client_for
from quizzes.models import AttemptAnswer, Question, Quiz
from quizzes.tests.conftest import SECRETS, wrong_response

pytestmark = pytest.mark.django_db

# Names that only results or keys use.
FORBIDDEN_NAMES = {
    "key",
    "correct",
    "accepted",
    "is_correct",
    "points_awarded",
    "score",
    "percent",
    "passed",
    "feedback",
    "guidance",
    "pairs_key",
}


def key_material(quiz: Quiz) -> dict[str, Any]:
    questions = list(Question.objects.filter(quiz_items__quiz=quiz))
    option_ids: set[str] = set()
    orders: list[list[str]] = []
    pairs: list[dict[str, str]] = []
    for q in questions:
        correct = q.key.get("correct")
        if isinstance(correct, str):
            option_ids.add(correct)
        elif isinstance(correct, list):
            option_ids.update(correct)
        if "order" in q.key:
            orders.append(q.key["order"])
        if "pairs" in q.key:
            pairs.append(q.key["pairs"])
    return {
        "option_ids": option_ids,
        "strings": {SECRETS[name] for name in SECRETS},
        "orders": orders,
        "pairs": pairs,
    }


def scan(node: Any, key: dict[str, Any], path: str = "") -> list[str]:
    """Every place in `node` that gives some of the key away."""
    found: list[str] = []
    if isinstance(node, dict):
        if node in key["pairs"]:
            found.append(f"{path}: the correct pairs")
        for name, value in node.items():
            child = f"{path}.{name}"
            if name in FORBIDDEN_NAMES and value not in (None, "", []):
                found.append(f"{child}: {name}")
            if name == "results" and value is not None:
                found.append(f"{child}: results")
            found += scan(value, key, child)
    elif isinstance(node, list):
        ids = [e.get("id") for e in node if isinstance(e, dict)]
        if node in key["orders"] or (ids and ids in key["orders"]):
            found.append(f"{path}: the correct order")
        for index, value in enumerate(node):
            found += scan(value, key, f"{path}.{index}")
    elif isinstance(node, str):
        in_option_list = path.endswith(".id") and ".options." in path
        if node in key["option_ids"] and not in_option_list:
            found.append(f"{path}: a correct option id")
        if any(secret in node for secret in key["strings"]):
            found.append(f"{path}: an accepted answer or guidance")
    return found


def test_no_student_facing_response_leaks_before_the_policies_allow(people, quiz_factory):
    due = timezone.now() + timedelta(days=1)
    quiz = quiz_factory(
        due_at=due,
        results_policy="after_due",
        answers_policy="after_due",
        shuffle_options=True,
        shuffle_questions=True,
    )
    key = key_material(quiz)
    assert key["option_ids"] and key["orders"] and key["pairs"]
    client = client_for(people.student)
    bodies: dict[str, Any] = {}

    bodies["quiz detail"] = client.get(f"/api/v1/quizzes/{quiz.pk}/")
    bodies["course quizzes"] = client.get(f"/api/v1/courses/{quiz.course.slug}/quizzes/")
    bodies["start"] = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    attempt_id = bodies["start"].json()["data"]["id"]
    answers = [
        {"answer_id": a.pk, "response": wrong_response(a.question)}
        for a in AttemptAnswer.objects.filter(attempt_id=attempt_id).select_related("question")
    ]
    bodies["autosave"] = client.put(
        f"/api/v1/attempts/{attempt_id}/answers/", {"answers": answers}, format="json"
    )
    bodies["detail in progress"] = client.get(f"/api/v1/attempts/{attempt_id}/")
    bodies["submit"] = client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    bodies["submit again"] = client.post(f"/api/v1/attempts/{attempt_id}/submit/")
    bodies["detail submitted"] = client.get(f"/api/v1/attempts/{attempt_id}/")
    bodies["my attempts"] = client.get(f"/api/v1/quizzes/{quiz.pk}/attempts/")
    bodies["quiz detail after"] = client.get(f"/api/v1/quizzes/{quiz.pk}/")

    for name, response in bodies.items():
        assert response.status_code in (200, 201), (name, response.content)
        assert scan(response.json(), key) == [], name

    # The scanner is not blind: the team's view and, once due, the learner's both show keys.
    staff = client_for(people.owner).get(f"/api/v1/attempts/{attempt_id}/").json()
    assert scan(staff, key)
    Quiz.objects.filter(pk=quiz.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    revealed = client.get(f"/api/v1/attempts/{attempt_id}/").json()
    found = scan(revealed, key)
    assert any("correct option id" in f for f in found)
    assert any("accepted answer" in f for f in found)
    assert any("correct order" in f for f in found)
    assert revealed["data"]["results"]["score"] == "0.00"


def test_results_after_submit_without_answers_shows_points_but_no_key(people, quiz_factory):
    quiz = quiz_factory(results_policy="after_submit", answers_policy="never")
    key = key_material(quiz)
    client = client_for(people.student)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]["id"]
    submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit/").json()
    results = submitted["data"]["results"]
    assert results["score"] == "0.00" and results["final"] is True  # blank essay: 0
    leaks = scan(submitted, key)
    assert leaks and all(
        any(name in leak for name in ("results", "score", "percent", "passed", "points_awarded"))
        for leak in leaks
    )
    assert not any("correct" in leak or "accepted" in leak for leak in leaks)


def test_ordering_is_never_presented_in_the_correct_order(people, quiz_factory):
    quiz = quiz_factory(kinds=("ordering",), max_attempts=30)
    correct = Question.objects.get(quiz_items__quiz=quiz).key["order"]
    client = client_for(people.student)
    for _ in range(30):
        data = client.post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]
        assert [item["id"] for item in data["questions"][0]["items"]] != correct
        client.post(f"/api/v1/attempts/{data['id']}/submit/")


def test_options_carry_only_id_and_text_even_with_stray_author_fields(people, course, quiz_factory):
    quiz = quiz_factory(kinds=("single",))
    question = Question.objects.get(quiz_items__quiz=quiz)
    question.data["options"][0]["correct"] = True  # an author's stray flag
    question.save()
    data = client_for(people.student).post(f"/api/v1/quizzes/{quiz.pk}/attempts/").json()["data"]
    assert all(set(option) == {"id", "text"} for option in data["questions"][0]["options"])
