"""Property: for random sequences of lesson completions, grades (released points, quiz
scores final or not) the live enrollment follows the completion rule
(docs/decisions/0014-completion-rules.md) after every step, completion is sticky and
published once, and a recompute from scratch reaches the same verdict as the rule on the
final state. The oracle is written here, independently of enrollments and assignments."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assignments.models import GradeCategory
from assignments.services import (
    manual_item_create,
    quiz_item_sync,
    quiz_score_sync,
    score_adjust,
)
from assignments.services.structure import default_category
from courses.tests.factories import LessonFactory, ModuleFactory
from enrollments.models import Enrollment
from enrollments.services import lesson_complete, progress_recompute
from lms.outbox.models import OutboxMessage
from lms.testing import make_course

pytestmark = pytest.mark.django_db

LESSONS = 3
MANUAL_ITEMS = (Decimal(100), Decimal(40))
QUIZ_POINTS = Decimal(10)
QUIZ_SOURCE = 77

operation = st.one_of(
    st.tuples(st.just("complete"), st.integers(0, LESSONS - 1)),
    st.tuples(
        st.just("score"),
        st.integers(0, len(MANUAL_ITEMS) - 1),
        st.one_of(st.none(), st.integers(0, 100)),
    ),
    st.tuples(st.just("quiz"), st.integers(0, 10), st.booleans()),
)


def percent_of(earned: list[tuple[Fraction, Fraction]]) -> Decimal | None:
    """One category: earned / possible over the graded items, rounded half up."""
    if not earned:
        return None
    exact = sum(e for e, _ in earned) * 100 / sum(p for _, p in earned)
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


class Model:
    """What the rule says, from the facts the operations set."""

    def __init__(self, passing: int) -> None:
        self.passing = passing
        self.done: set[int] = set()
        self.points: dict[int, Decimal | None] = {}
        self.quiz: tuple[int, bool] | None = None  # (points, final)

    def apply(self, op: tuple) -> None:
        if op[0] == "complete":
            self.done.add(op[1])
        elif op[0] == "score":
            self.points[op[1]] = (
                None if op[2] is None else Decimal(op[2]) * MANUAL_ITEMS[op[1]] / 100
            )
        else:
            self.quiz = (op[1], op[2])

    def qualifies(self) -> bool:
        if len(self.done) < LESSONS:
            return False
        if self.passing == 0:
            return True  # the course grades something (its items exist), but 0 asks nothing
        if self.quiz is not None and not self.quiz[1]:
            return False  # provisional
        earned = [
            (Fraction(points), Fraction(MANUAL_ITEMS[index]))
            for index, points in self.points.items()
            if points is not None
        ]
        if self.quiz is not None:
            earned.append((Fraction(self.quiz[0]), Fraction(QUIZ_POINTS)))
        percent = percent_of(earned)
        return percent is not None and percent >= self.passing


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    passing=st.sampled_from([0, 50, 70]),
    operations=st.lists(operation, min_size=1, max_size=12),
)
def test_live_completion_follows_the_rule_and_recompute_agrees(people, passing, operations):
    course = make_course(people, lessons=0, enroll=("student",), passing_grade=passing)
    module = ModuleFactory(course=course)
    lessons = [LessonFactory(module=module, kind="text") for _ in range(LESSONS)]
    progress_recompute(course_id=course.pk)
    # Every item in one category: the grade is earned / possible over what is graded.
    category = default_category(course_id=course.pk, kind=GradeCategory.Kind.QUIZZES)
    items = [
        manual_item_create(
            course_id=course.pk, title=f"M{i}", points_possible=possible, category=category, by=None
        )
        for i, possible in enumerate(MANUAL_ITEMS)
    ]
    quiz_item_sync(
        course_id=course.pk, source_id=QUIZ_SOURCE, title="Quiz", points_possible=QUIZ_POINTS
    )
    learner = people.student
    model = Model(passing)
    ever_qualified = False

    def enrollment() -> Enrollment:
        return Enrollment.objects.get(user=learner, course=course)

    for op in operations:
        if op[0] == "complete":
            lesson_complete(enrollment=enrollment(), lesson=lessons[op[1]])
        elif op[0] == "score":
            points = None if op[2] is None else Decimal(op[2]) * MANUAL_ITEMS[op[1]] / 100
            score_adjust(item=items[op[1]], user_id=learner.pk, by=people.owner, points=points)
        else:
            quiz_score_sync(
                course_id=course.pk, user_id=learner.pk, source_id=QUIZ_SOURCE,
                points_earned=Decimal(op[1]), points_possible=QUIZ_POINTS, final=op[2],
            )  # fmt: skip
        model.apply(op)
        ever_qualified = ever_qualified or model.qualifies()
        live = enrollment()
        # Completed exactly when the rule held at some step: sticky, never early.
        assert (live.status == "completed") is ever_qualified, (op, model.__dict__)
    published = OutboxMessage.objects.filter(
        topic="enrollments.course_completed", payload__course_id=course.pk
    ).count()
    assert published == (1 if ever_qualified else 0)

    # From scratch: forget the stored rollup and status, recompute.
    Enrollment.objects.filter(pk=enrollment().pk).update(
        status="active", completed_at=None, completed_count=0, required_total=0, percent=0
    )
    progress_recompute(course_id=course.pk, batch_size=1)
    assert (enrollment().status == "completed") is model.qualifies()
    assert enrollment().percent == len(model.done) * 100 // LESSONS
