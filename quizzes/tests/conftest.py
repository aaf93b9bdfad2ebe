"""Fixtures of the quizzes tests: the platform's cast (lms.testing) and a published
course with its team and two enrolled students; quizzes built through the services with
one question of every kind."""

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from courses.models import Course
from lms.grading import grade_item_changed, score_changed
from lms.testing import Cast, make_course
from quizzes import services
from quizzes.models import Question, QuestionBank, Quiz

# Answers that appear nowhere else, so a scan of a response body can find them.
SECRETS = {
    "short_text": "Zanzibar-ANSWER-91",
    "regex": r"qx[0-9]{3}-REGEX",
    "numeric": "2718.2818",
    "blank": "Blankanswer-42",
    "guidance": "GUIDANCE-SECRET-7",
}

# Entry ids are given (as a client may): random-looking, never positional.
QUESTION_SPECS: dict[str, dict[str, Any]] = {
    "single": {
        "data": {
            "options": [
                {"id": "o3fa9", "text": "Paris"},
                {"id": "o81c2", "text": "Lyon"},
                {"id": "o5d07", "text": "Nice"},
            ]
        },
        "key": {"correct": "o3fa9"},
    },
    "multiple": {
        "data": {
            "options": [
                {"id": "o1b4e", "text": "2"},
                {"id": "o9c3a", "text": "3"},
                {"id": "o2f8d", "text": "4"},
                {"id": "o7e61", "text": "5"},
            ],
            "scoring": "partial",
            "penalty": "1",
        },
        "key": {"correct": ["o1b4e", "o9c3a", "o7e61"]},
    },
    "true_false": {"key": {"correct": True}},
    "short_text": {
        "key": {
            "accepted": [
                {"text": SECRETS["short_text"]},
                {"text": SECRETS["regex"], "regex": True},
            ]
        }
    },
    "numeric": {"key": {"value": SECRETS["numeric"], "tolerance": "0.001", "mode": "absolute"}},
    "fill_blanks": {
        "data": {"text": "The answer is [b1].", "blanks": [{"id": "b1"}]},
        "key": {"blanks": {"b1": [{"text": SECRETS["blank"]}]}},
    },
    "matching": {
        "data": {
            "prompts": [{"id": "p4c1", "text": "France"}, {"id": "p0a7", "text": "Spain"}],
            "choices": [
                {"id": "c6b2", "text": "Paris"},
                {"id": "c3e9", "text": "Madrid"},
                {"id": "c8d5", "text": "Rome"},
            ],
        },
        "key": {"pairs": {"p4c1": "c6b2", "p0a7": "c3e9"}},
    },
    "ordering": {
        "data": {
            "items": [
                {"id": "i7a3", "text": "one"},
                {"id": "i2f9", "text": "two"},
                {"id": "i5c0", "text": "three"},
            ]
        },
        "key": {"order": ["i7a3", "i2f9", "i5c0"]},
    },
    "essay": {"key": {"guidance": SECRETS["guidance"]}},
}


def make_question(bank: QuestionBank, kind: str, *, points: str = "2", tags=None) -> Question:
    """A question of `kind` through the service."""
    spec = QUESTION_SPECS[kind]
    return services.question_create(
        bank=bank,
        kind=kind,
        prompt=f"A {kind} question?",
        data=copy.deepcopy(spec.get("data", {})),
        key=copy.deepcopy(spec.get("key", {})),
        points=points,
        tags=tags or [],
    )


def correct_response(question: Question) -> dict[str, Any] | None:
    key, kind = question.key, question.kind
    return {
        "single": lambda: {"choice": key["correct"]},
        "multiple": lambda: {"choices": key["correct"]},
        "true_false": lambda: {"value": key["correct"]},
        "short_text": lambda: {"text": SECRETS["short_text"]},
        "numeric": lambda: {"value": SECRETS["numeric"]},
        "fill_blanks": lambda: {"blanks": {"b1": SECRETS["blank"]}},
        "matching": lambda: {"pairs": key["pairs"]},
        "ordering": lambda: {"order": key["order"]},
        "essay": lambda: {"text": "My essay."},
    }[kind]()


def wrong_response(question: Question) -> dict[str, Any]:
    data, key, kind = question.data, question.key, question.kind
    options = [o["id"] for o in data.get("options", [])]
    if kind == "single":
        return {"choice": next(o for o in options if o != key["correct"])}
    if kind == "multiple":
        return {"choices": [o for o in options if o not in key["correct"]]}
    if kind == "matching":
        choices = [c["id"] for c in data["choices"]]
        wrong = next(c for c in choices if c not in key["pairs"].values())
        return {"pairs": dict.fromkeys(key["pairs"], wrong)}
    if kind == "ordering":
        return {"order": list(reversed(key["order"]))}
    if kind == "true_false":
        return {"value": not key["correct"]}
    return {
        "short_text": {"text": "nope"},
        "numeric": {"value": "1"},
        "fill_blanks": {"blanks": {"b1": "nope"}},
        "essay": {"text": "A short essay."},
    }[kind]


@pytest.fixture
def people(cast: Cast) -> Cast:
    """The platform's cast (lms.testing), under the name these tests use."""
    return cast


@pytest.fixture
def course(people: Cast) -> Course:
    return make_course(people, lessons=2, enroll=("student", "other_student"))


def build_quiz(
    course: Course,
    owner: User,
    *,
    kinds: tuple[str, ...] = tuple(QUESTION_SPECS),
    points: str = "2",
    **settings: Any,
) -> Quiz:
    """A published quiz with one fixed question per kind (in that order)."""
    bank = QuestionBank.objects.filter(course=course).first() or services.bank_create(
        course=course, title="Bank"
    )
    settings.setdefault("published", True)
    quiz = services.quiz_create(course=course, by=owner, title="A quiz", **settings)
    for kind in kinds:
        services.quiz_item_add(quiz=quiz, question=make_question(bank, kind), points=points)
    return quiz


@pytest.fixture
def quiz_factory(course: Course, people: Cast) -> Callable[..., Quiz]:
    def make(**kwargs: Any) -> Quiz:
        return build_quiz(course, people.owner, **kwargs)

    return make


@dataclass
class SignalLog:
    grade_items: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def signals() -> Iterator[SignalLog]:
    """Records what the services send to the gradebook (a real receiver on the signals)."""
    log = SignalLog()

    def on_item(sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        log.grade_items.append(kwargs)

    def on_score(sender: Any, **kwargs: Any) -> None:
        kwargs.pop("signal", None)
        log.scores.append(kwargs)

    grade_item_changed.connect(on_item, weak=False)
    score_changed.connect(on_score, weak=False)
    yield log
    grade_item_changed.disconnect(on_item)
    score_changed.disconnect(on_score)


def dec(value: str) -> Decimal:
    return Decimal(value)
