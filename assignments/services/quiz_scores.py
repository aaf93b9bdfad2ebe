"""Quiz scores into the gradebook (from the lms.grading signals; see
assignments.receivers), in the sender's transaction."""

from decimal import Decimal
from typing import Any

from django.db import transaction

from assignments.models import GradeCategory, GradeItem, Score
from assignments.services.gradebook import points_clean, score_write
from assignments.services.structure import default_category, item_delete, item_upsert


def quiz_item_sync(
    *,
    course_id: int,
    source_id: int,
    title: str,
    points_possible: Decimal,
    due: Any = None,
    deleted: bool = False,
) -> GradeItem | None:
    with transaction.atomic():
        if deleted:
            item_delete(course_id=course_id, source=GradeItem.Source.QUIZ, source_id=source_id)
            return None
        return item_upsert(
            course_id=course_id,
            source=GradeItem.Source.QUIZ,
            source_id=source_id,
            title=title,
            points_possible=Decimal(points_possible),
            due_at=due,
            category=default_category(course_id=course_id, kind=GradeCategory.Kind.QUIZZES),
        )


def quiz_score_sync(
    *,
    course_id: int,
    user_id: int,
    source_id: int,
    points_earned: Decimal | None,
    points_possible: Decimal,
    final: bool,
) -> Score:
    with transaction.atomic():
        item = GradeItem.objects.filter(
            course_id=course_id, source=GradeItem.Source.QUIZ, source_id=source_id
        ).first()
        if item is None:  # the score came first: make the item from what we know
            item = item_upsert(
                course_id=course_id,
                source=GradeItem.Source.QUIZ,
                source_id=source_id,
                title=f"Quiz {source_id}",
                points_possible=Decimal(points_possible),
                category=default_category(course_id=course_id, kind=GradeCategory.Kind.QUIZZES),
            )
        return score_write(
            item=item,
            user_id=user_id,
            by=None,
            action="assignments.quiz_score_synced",
            points=None if points_earned is None else points_clean(points_earned, "points"),
            final=final,
        )
