"""Fixtures of the quizzes tests: a published course with a team (owner, co-instructor,
TA), two enrolled students, another instructor and an admin; quizzes built through the
services with one question of every kind."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from accounts.tests.auth_helpers import client_for
from courses.models import Course
from enrollments.services import enrollment_create
from enrollments.tests.conftest import People, make_course
from lms.grading import grade_item_changed, score_changed
from quizzes import services
from quizzes.models import Question, QuestionBank, Quiz

__all__ = ["People", "client_for", "make_course"]

ROLES = ("anonymous", "student", "other_student", "ta", "instructor", "other_instructor", "admin")

# Answers that appear nowhere else, so a scan of a response body can find them.
SECRETS = {
    "short_text": "Zanzibar-ANSWER-91",
    "regex": r"qx[0-9]{3}-REGEX",
    "numeric": "2718.2818",
    "blank": "Blankanswer-42",
    "guidance": "GUIDANCE-SECRET-7",
}

QUESTION_SPECS: dict[str, dict[str, Any]] = {
    "single": {
        "data": {"options": [{"text": "Paris"}, {"text": "Lyon"}, {"text": "Nice"}]},
        "correct_index": 0,
    },
    "multiple": {
        "data": {
            "options": [{"text": "2"}, {"text": "3"}, {"text": "4"}, {"text": "5"}],
            "scoring": "partial",
            "penalty": "1",
        },
        "correct_indexes": [0, 1, 3],
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
            "prompts": [{"text": "France"}, {"text": "Spain"}],
            "choices": [{"text": "Paris"}, {"text": "Madrid"}, {"text": "Rome"}],
        },
        "pairs": [(0, 0), (1, 1)],
    },
    "ordering": {"data": {"items": [{"text": "one"}, {"text": "two"}, {"text": "three"}]}},
    "essay": {"key": {"guidance": SECRETS["guidance"]}},
}


def make_question(bank: QuestionBank, kind: str, *, points: str = "2", tags=None) -> Question:
    """A question of `kind` through the service; ids are assigned by the service, then the
    key is set from them."""
    spec = QUESTION_SPECS[kind]
    data = spec.get("data", {})
    key = dict(spec.get("key", {}))
    from quizzes.services.authoring import _with_ids

    data = _with_ids(data)
    if kind == "single":
        key["correct"] = data["options"][spec["correct_index"]]["id"]
    elif kind == "multiple":
        key["correct"] = [data["options"][i]["id"] for i in spec["correct_indexes"]]
    elif kind == "matching":
        key["pairs"] = {
            data["prompts"][p]["id"]: data["choices"][c]["id"] for p, c in spec["pairs"]
        }
    elif kind == "ordering":
        key["order"] = [item["id"] for item in data["items"]]
    return services.question_create(
        bank=bank,
        kind=kind,
        prompt=f"A {kind} question?",
        data=data,
        key=key,
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
def people(db) -> People:
    from accounts.tests.factories import AdminFactory, InstructorFactory, UserFactory

    return People(
        owner=InstructorFactory(),
        instructor=InstructorFactory(),
        ta=UserFactory(),
        other_instructor=InstructorFactory(),
        student=UserFactory(),
        other_student=UserFactory(),
        admin=AdminFactory(),
    )


@pytest.fixture
def course(people: People) -> Course:
    course = make_course(people, lessons=2)
    enrollment_create(user=people.student, course=course)
    enrollment_create(user=people.other_student, course=course)
    return course


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
def quiz_factory(course: Course, people: People) -> Callable[..., Quiz]:
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
