"""Quiz scores into the gradebook (lms.grading signals; quizzes is a sibling we never
import). The quizzes services send these inside their own transaction; the gradebook
services write items, scores and the stored course grade in that same transaction."""

from decimal import Decimal
from typing import Any

from assignments.services import quiz_item_sync, quiz_score_sync
from lms.grading import grade_item_changed, score_changed

SOURCE = "quiz"


def _item_changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("source") != SOURCE:
        return
    quiz_item_sync(
        course_id=int(kwargs["course_id"]),
        source_id=int(kwargs["source_id"]),
        title=str(kwargs.get("title") or f"Quiz {kwargs['source_id']}"),
        points_possible=Decimal(str(kwargs["points_possible"])),
        due=kwargs.get("due"),
        deleted=bool(kwargs.get("deleted", False)),
    )


def _score_changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("source") != SOURCE:
        return
    earned = kwargs.get("points_earned")
    quiz_score_sync(
        course_id=int(kwargs["course_id"]),
        user_id=int(kwargs["user_id"]),
        source_id=int(kwargs["source_id"]),
        points_earned=None if earned is None else Decimal(str(earned)),
        points_possible=Decimal(str(kwargs["points_possible"])),
        final=bool(kwargs.get("final", True)),
    )


def connect() -> None:
    grade_item_changed.connect(_item_changed, dispatch_uid="assignments.quiz_item_changed")
    score_changed.connect(_score_changed, dispatch_uid="assignments.quiz_score_changed")
