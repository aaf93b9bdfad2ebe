"""The course grade, computed from plain values, with every step kept for "explain".

One function, `course_grade_compute`, serves the stored rollup, the recompute task and
the explain endpoint, so what a learner is shown is exactly what was stored. Arithmetic
is exact (fractions); only the final percent is rounded (half up, 2 places) and the letter
is read from that rounded percent.

Rules (docs/decisions/0010-assignments.md):
- An item counts when it is graded (released points) or overridden; excused items and
  items without a grade do not count.
- Per category, the lowest `drop_lowest` counted items (by percentage; ties: the larger
  item first kept, then by id) are dropped, never all of them.
- A category's percent is earned / possible over its kept items (extra credit may exceed
  100). Categories with kept items share the weight: weight / sum of those weights.
- No category with kept items and a positive weight: no grade (None).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

UNCATEGORISED_NAME = "Uncategorised"
DEFAULT_LETTER_SCHEME: list[list[Any]] = [["A", 90], ["B", 80], ["C", 70], ["D", 60], ["F", 0]]
PERCENT_PLACES = Decimal("0.01")
SHOW_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class CategoryIn:
    id: int | None
    name: str
    weight: Decimal
    drop_lowest: int = 0


@dataclass(frozen=True)
class ItemIn:
    id: int
    title: str
    category_id: int | None
    points_possible: Decimal


@dataclass(frozen=True)
class ScoreIn:
    item_id: int
    points: Decimal | None = None
    excused: bool = False
    override_points: Decimal | None = None
    override_reason: str = ""
    penalty_percent: Decimal = Decimal("0")
    final: bool = True  # False: a quiz score that may still change (manual grading)


@dataclass
class ItemLine:
    id: int
    title: str
    points_possible: Decimal
    points: Decimal | None
    status: str  # graded | override | excused | not_graded | dropped
    penalty_percent: Decimal = Decimal("0")
    override_reason: str = ""
    original_points: Decimal | None = None
    final: bool = True


@dataclass
class CategoryLine:
    id: int | None
    name: str
    weight: Decimal
    drop_lowest: int
    items: list[ItemLine] = field(default_factory=list)
    earned: Fraction = Fraction(0)
    possible: Fraction = Fraction(0)
    percent: Fraction | None = None
    share: Fraction = Fraction(0)  # normalised weight
    contribution: Fraction = Fraction(0)


@dataclass
class GradeResult:
    categories: list[CategoryLine]
    total_weight: Fraction
    exact_percent: Fraction | None
    percent: Decimal | None
    letter: str
    scheme: list[list[Any]]


def round_percent(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        PERCENT_PLACES, rounding=ROUND_HALF_UP
    )


def _show(value: Fraction) -> str:
    return str(
        (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
            SHOW_PLACES, rounding=ROUND_HALF_UP
        )
    )


def letter_for(percent: Decimal | None, scheme: Sequence[Sequence[Any]]) -> str:
    if percent is None:
        return ""
    for letter, minimum in sorted(scheme, key=lambda row: Decimal(str(row[1])), reverse=True):
        if percent >= Decimal(str(minimum)):
            return str(letter)
    return ""


def _line(item: ItemIn, score: ScoreIn | None) -> ItemLine:
    line = ItemLine(item.id, item.title, item.points_possible, None, "not_graded")
    if score is None:
        return line
    line.penalty_percent = score.penalty_percent
    line.original_points = score.points
    line.final = score.final
    if score.excused:
        line.status = "excused"
        line.points = score.points
    elif score.override_points is not None:
        line.status = "override"
        line.points = score.override_points
        line.override_reason = score.override_reason
    elif score.points is not None:
        line.status = "graded"
        line.points = score.points
    return line


def course_grade_compute(
    *,
    categories: Iterable[CategoryIn],
    items: Iterable[ItemIn],
    scores: Iterable[ScoreIn],
    scheme: Sequence[Sequence[Any]] | None = None,
) -> GradeResult:
    scheme_list = [list(row) for row in (scheme or DEFAULT_LETTER_SCHEME)]
    lines: dict[int | None, CategoryLine] = {
        c.id: CategoryLine(c.id, c.name, c.weight, c.drop_lowest) for c in categories
    }
    by_item = {s.item_id: s for s in scores}
    for item in sorted(items, key=lambda i: i.id):
        key = item.category_id if item.category_id in lines else None
        if key not in lines:
            lines[None] = CategoryLine(None, UNCATEGORISED_NAME, Decimal("1"), 0)
        lines[key].items.append(_line(item, by_item.get(item.id)))

    for category in lines.values():
        counted = [line for line in category.items if line.status in ("graded", "override")]
        counted.sort(
            key=lambda line: (
                Fraction(line.points or 0) / Fraction(line.points_possible),
                -line.points_possible,
                line.id,
            )
        )
        for line in counted[: min(category.drop_lowest, max(len(counted) - 1, 0))]:
            line.status = "dropped"
        kept = [line for line in category.items if line.status in ("graded", "override")]
        category.earned = sum((Fraction(line.points or 0) for line in kept), Fraction(0))
        category.possible = sum((Fraction(line.points_possible) for line in kept), Fraction(0))
        if kept:
            category.percent = category.earned * 100 / category.possible

    participating = [c for c in lines.values() if c.percent is not None and c.weight > 0]
    total_weight = sum((Fraction(c.weight) for c in participating), Fraction(0))
    exact: Fraction | None = None
    if total_weight > 0:
        exact = Fraction(0)
        for category in participating:
            category.share = Fraction(category.weight) / total_weight
            category.contribution = category.share * (category.percent or Fraction(0))
            exact += category.contribution
    percent = round_percent(exact) if exact is not None else None
    return GradeResult(
        categories=list(lines.values()),
        total_weight=total_weight,
        exact_percent=exact,
        percent=percent,
        letter=letter_for(percent, scheme_list),
        scheme=scheme_list,
    )


def explain(result: GradeResult) -> dict[str, Any]:
    """The calculation step by step, as JSON-ready values (decimals as strings)."""

    def money(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    categories = []
    for c in result.categories:
        categories.append(
            {
                "id": c.id,
                "name": c.name,
                "weight": str(c.weight),
                "normalised_weight": _show(c.share),
                "drop_lowest": c.drop_lowest,
                "earned": _show(c.earned),
                "possible": _show(c.possible),
                "percent": _show(c.percent) if c.percent is not None else None,
                "contribution": _show(c.contribution),
                "counts": c.percent is not None and c.weight > 0,
                "items": [
                    {
                        "id": i.id,
                        "title": i.title,
                        "points": money(i.points),
                        "points_possible": str(i.points_possible),
                        "status": i.status,
                        "penalty_percent": str(i.penalty_percent),
                        "override_reason": i.override_reason,
                        "original_points": money(i.original_points),
                        "provisional": not i.final,
                    }
                    for i in c.items
                ],
            }
        )
    steps = [
        f"{c['name']}: {c['percent']}% x {c['normalised_weight']} = {c['contribution']}"
        for c in categories
        if c["counts"]
    ]
    return {
        "categories": categories,
        "total_weight": _show(result.total_weight),
        "steps": steps,
        "weighted_sum": str(result.percent) if result.percent is not None else None,
        "exact_weighted_sum": _show(result.exact_percent)
        if result.exact_percent is not None
        else None,
        "percent": str(result.percent) if result.percent is not None else None,
        "letter": result.letter,
        "scheme": [[row[0], str(row[1])] for row in result.scheme],
    }
