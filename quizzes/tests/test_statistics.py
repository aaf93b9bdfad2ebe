"""Results statistics, computed in SQL, against a plain Python reference: the score
histogram, each question's difficulty (share with full credit), discrimination
(point-biserial against the attempt's percent) and option pick counts."""

from statistics import mean, pstdev

import pytest

from accounts.tests.factories import UserFactory
from enrollments.services import enrollment_create
from lms.testing import client_for
from quizzes import selectors, services
from quizzes.models import Attempt, AttemptAnswer, Question
from quizzes.tests.conftest import build_quiz, correct_response, wrong_response

pytestmark = pytest.mark.django_db

# Per learner: (single right?, true/false right?, multiple right?)
PATTERNS = [
    (True, True, True),
    (True, True, False),
    (True, False, False),
    (False, True, False),
    (False, False, False),
    (True, False, True),
]


def test_statistics_match_a_python_reference(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single", "true_false", "multiple"))
    for pattern in PATTERNS:
        learner = UserFactory()
        enrollment = enrollment_create(user=learner, course=course)
        attempt, _ = services.attempt_start(quiz=quiz, user=learner, enrollment=enrollment)
        rows = list(attempt.answers.select_related("question").order_by("position"))
        services.attempt_answers_save(
            attempt=attempt,
            answers=[
                {
                    "answer_id": a.pk,
                    "response": (correct_response if right else wrong_response)(a.question),
                }
                for a, right in zip(rows, pattern, strict=True)
            ],
        )
        services.attempt_submit(attempt=attempt)

    stats = client_for(people.ta).get(f"/api/v1/quizzes/{quiz.pk}/statistics/").json()["data"]
    assert stats["attempts"] == len(PATTERNS)

    percents = {a.pk: float(a.percent) for a in Attempt.objects.filter(quiz=quiz)}
    expected_bins = [0] * 10
    for p in percents.values():
        expected_bins[min(int(p // 10), 9)] += 1
    assert [b["count"] for b in stats["histogram"]] == expected_bins

    by_question = {row["question_id"]: row for row in stats["questions"]}
    for question in Question.objects.filter(quiz_items__quiz=quiz):
        answers = AttemptAnswer.objects.filter(question=question)
        right = [a.points_awarded >= a.points_possible for a in answers]
        ys = [percents[a.attempt_id] for a in answers]
        p = sum(right) / len(right)
        m1 = mean(y for y, r in zip(ys, right, strict=True) if r)
        m0 = mean(y for y, r in zip(ys, right, strict=True) if not r)
        expected = (m1 - m0) / pstdev(ys) * (p * (1 - p)) ** 0.5
        row = by_question[question.pk]
        assert row["difficulty"] == round(p, 4)
        assert row["discrimination"] == pytest.approx(expected, abs=1e-3)
        assert row["answers"] == len(PATTERNS)
    single = Question.objects.get(quiz_items__quiz=quiz, kind="single")
    picks = by_question[single.pk]["option_counts"]
    assert picks[single.key["correct"]] == sum(1 for p in PATTERNS if p[0])
    assert sum(picks.values()) == len(PATTERNS)
    multiple = Question.objects.get(quiz_items__quiz=quiz, kind="multiple")
    counts = by_question[multiple.pk]["option_counts"]
    # Right answers pick the 3 correct options, wrong ones the single wrong option.
    n_right = sum(1 for p in PATTERNS if p[2])
    assert sum(counts.values()) == 3 * n_right + (len(PATTERNS) - n_right)


def test_statistics_of_a_quiz_without_attempts(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single",))
    stats = selectors.quiz_statistics(quiz=quiz)
    assert stats["attempts"] == 0 and stats["questions"] == []
    assert sum(b["count"] for b in stats["histogram"]) == 0
