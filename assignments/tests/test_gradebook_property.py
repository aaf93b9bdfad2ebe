"""Property: for random categories (weights, drops), items, scores, excusals and
overrides, the stored course grade equals a from-scratch reference computation and the
weighted sum that "explain" shows (the API's, for the learner)."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assignments.models import CourseGrade, GradeCategory, GradeItem, Score
from assignments.services import category_create, manual_item_create, score_adjust
from assignments.services.gradebook import letter_scheme_of
from lms.testing import client_for, make_course

pytestmark = pytest.mark.django_db

points = st.decimals(min_value=0, max_value=120, places=2)
score_strategy = st.one_of(
    st.just(None),  # not graded
    st.fixed_dictionaries(
        {
            "points": st.one_of(st.none(), points),
            "excused": st.booleans(),
            "override": st.one_of(st.none(), points),
        }
    ),
)
category_strategy = st.fixed_dictionaries(
    {
        "weight": st.decimals(min_value=0, max_value=60, places=2),
        "drop": st.integers(min_value=0, max_value=3),
        "items": st.lists(
            st.tuples(st.decimals(min_value=1, max_value=100, places=2), score_strategy),
            min_size=0,
            max_size=5,
        ),
    }
)


def reference_percent(course, user) -> Decimal | None:
    """From the rows alone, written independently of assignments.services.calculation."""
    total = Fraction(0)
    weights = Fraction(0)
    for category in GradeCategory.objects.filter(course=course):
        entries = []
        for item in GradeItem.objects.filter(category=category):
            score = Score.objects.filter(item=item, user=user).first()
            if score is None or score.excused:
                continue
            value = score.override_points if score.override_points is not None else score.points
            if value is None:
                continue
            entries.append(
                (Fraction(value), Fraction(item.points_possible), item.points_possible, item.pk)
            )
        keep = len(entries) - min(category.drop_lowest, max(len(entries) - 1, 0))
        ranked = sorted(entries, key=lambda e: (e[0] / e[1], -e[2], e[3]), reverse=True)
        kept = ranked[:keep]
        if not kept or category.weight == 0:
            continue
        percent = sum(e[0] for e in kept) * 100 / sum(e[1] for e in kept)
        total += Fraction(category.weight) * percent
        weights += Fraction(category.weight)
    if weights == 0:
        return None
    exact = total / weights
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def reference_letter(percent, scheme) -> str:
    if percent is None:
        return ""
    for letter, minimum in sorted(scheme, key=lambda r: -Decimal(str(r[1]))):
        if percent >= Decimal(str(minimum)):
            return letter
    return ""


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(categories=st.lists(category_strategy, min_size=1, max_size=4))
def test_stored_grade_equals_reference_and_explain(people, categories):
    course = make_course(people, lessons=0, enroll=("student",))  # a new course per example
    learner = people.student
    staff = people.admin
    for index, spec in enumerate(categories):
        category = category_create(
            course_id=course.pk, name=f"C{index}", weight=spec["weight"],
            drop_lowest=spec["drop"], by=staff,
        )  # fmt: skip
        for number, (possible, score) in enumerate(spec["items"]):
            item = manual_item_create(
                course_id=course.pk, title=f"I{index}.{number}", points_possible=possible,
                category=category, by=staff,
            )  # fmt: skip
            if score is None:
                continue
            if score["points"] is not None:
                score_adjust(item=item, user_id=learner.pk, by=staff, points=score["points"])
            if score["override"] is not None:
                score_adjust(
                    item=item, user_id=learner.pk, by=staff,
                    override_points=score["override"], reason="property",
                )  # fmt: skip
            if score["excused"]:
                score_adjust(item=item, user_id=learner.pk, by=staff, excused=True)

    expected = reference_percent(course, learner)
    stored = CourseGrade.objects.filter(course=course, user=learner).first()
    stored_percent = stored.percent if stored else None
    assert stored_percent == expected
    if stored is not None:
        assert stored.letter == reference_letter(expected, letter_scheme_of(course.pk))

    body = client_for(learner).get(f"/api/v1/courses/{course.slug}/gradebook/me/explain/")
    assert body.status_code == 200
    data = body.json()["data"]
    shown = None if data["weighted_sum"] is None else Decimal(data["weighted_sum"])
    assert shown == expected
    assert data["stored"]["percent"] == (None if stored_percent is None else str(stored_percent))
    # The steps add up: the shown contributions (4 places) sum to the weighted sum.
    contributions = sum(
        (Decimal(c["contribution"]) for c in data["categories"] if c["counts"]), Decimal(0)
    )
    if shown is not None:
        assert abs(contributions - shown) <= Decimal("0.005") + Decimal("0.0001") * len(categories)
