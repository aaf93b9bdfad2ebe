"""Authoring: question banks, questions, quizzes and their items.

Every change that moves what a quiz is worth (its title, points, due date, existence)
tells the gradebook through `lms.grading.grade_item_changed`, inside the transaction. A
change to a question's answer key schedules a regrade of the submitted attempts that
used it (outbox topic `quizzes.question_regrade`, after commit).
"""

import secrets
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from courses.selectors import lesson_list
from courses.services import lesson_activity_changed
from lms.audit.services import audit_log_record
from lms.errors import ServiceError
from lms.grading import grade_item_changed
from lms.outbox.services import outbox_publish
from quizzes import grading, payloads
from quizzes.cache import quiz_cache_bump
from quizzes.models import (
    Attempt,
    AttemptAnswer,
    Question,
    QuestionBank,
    QuestionTag,
    Quiz,
    QuizItem,
)

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course

QUIZ_FIELDS = (
    "title",
    "instructions",
    "published",
    "lesson",
    "time_limit_minutes",
    "max_attempts",
    "passing_score_percent",
    "score_policy",
    "shuffle_questions",
    "shuffle_options",
    "opens_at",
    "closes_at",
    "due_at",
    "results_policy",
    "answers_policy",
)
QUESTION_FIELDS = ("kind", "prompt", "data", "key", "points", "tags")
# Lists in `data` whose entries get ids when the author leaves them out.
ID_LISTS = {"options": "o", "prompts": "p", "choices": "c", "items": "i", "blanks": "b"}


def _invalid(attr: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({attr: ValidationError(message, code=code)})


# --- banks ------------------------------------------------------------------------------


@transaction.atomic
def bank_create(*, course: "Course", title: str) -> QuestionBank:
    title = title.strip()
    if not title:
        raise _invalid("title", "A bank needs a title.", "required")
    if QuestionBank.objects.filter(course=course, title=title).exists():
        raise _invalid("title", "This course already has a bank with this title.", "unique")
    return QuestionBank.objects.create(course=course, title=title)


@transaction.atomic
def bank_update(*, bank: QuestionBank, title: str) -> QuestionBank:
    title = title.strip()
    if not title:
        raise _invalid("title", "A bank needs a title.", "required")
    if QuestionBank.objects.filter(course_id=bank.course_id, title=title).exclude(pk=bank.pk):
        raise _invalid("title", "This course already has a bank with this title.", "unique")
    bank.title = title
    bank.save(update_fields=["title"])
    return bank


@transaction.atomic
def bank_delete(*, bank: QuestionBank) -> None:
    if AttemptAnswer.objects.filter(question__bank=bank).exists():
        raise ServiceError("question_in_use", "Learners answered questions of this bank.")
    quiz_ids = set(QuizItem.objects.filter(question__bank=bank).values_list("quiz_id", flat=True))
    quiz_ids |= set(QuizItem.objects.filter(draw_bank=bank).values_list("quiz_id", flat=True))
    bank.delete()
    quiz_cache_bump(bank.course_id)
    for quiz in Quiz.objects.filter(pk__in=quiz_ids):
        _grade_item_changed(quiz)


# --- questions --------------------------------------------------------------------------


def _with_ids(data: Any) -> Any:
    """Entries without an id get a short random one (never their position: ids must not
    hint at the answer). Anything else is left for quizzes.payloads to judge."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name, prefix in ID_LISTS.items():
        entries = out.get(name)
        if not isinstance(entries, list):
            continue
        fixed = []
        for entry in entries:
            if isinstance(entry, dict):
                entry = dict(entry)
                if entry.get("id") is None or entry.get("id") == "":
                    entry["id"] = f"{prefix}{secrets.token_hex(4)}"
            fixed.append(entry)
        out[name] = fixed
    return out


def _clean_tags(tags: Any) -> list[str]:
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _invalid("tags", "A list of tags.")
    cleaned = sorted({t.strip().lower() for t in tags if t.strip()})
    for tag in cleaned:
        if len(tag) > 50 or not all(c.isalnum() or c in "-_" for c in tag):
            raise _invalid("tags", f"Tags are letters, digits, - and _: {tag!r}.")
    return cleaned


def _check_points(points: Any, attr: str = "points") -> Decimal:
    value = grading.to_decimal(points)
    if (
        value is None
        or value < 0
        or value > Decimal("10000")
        or value != value.quantize(Decimal("0.01"))
    ):
        raise _invalid(attr, "Points are a number from 0 to 10000 with at most 2 decimals.")
    return value.quantize(Decimal("0.01"))


def _set_tags(question: Question, tags: list[str]) -> None:
    QuestionTag.objects.filter(question=question).exclude(name__in=tags).delete()
    existing = set(QuestionTag.objects.filter(question=question).values_list("name", flat=True))
    QuestionTag.objects.bulk_create(
        [QuestionTag(question=question, name=t) for t in tags if t not in existing]
    )


@transaction.atomic
def question_create(
    *,
    bank: QuestionBank,
    kind: str,
    prompt: str,
    data: dict[str, Any] | None = None,
    key: dict[str, Any] | None = None,
    points: Decimal | str | int = Decimal("1"),
    tags: list[str] | None = None,
) -> Question:
    if not prompt or not prompt.strip():
        raise _invalid("prompt", "A question needs a prompt.", "required")
    data = _with_ids({} if data is None else data)
    key = {} if key is None else key
    payloads.clean_definition(kind, data, key)
    clean_tags = _clean_tags(tags)
    question = Question.objects.create(
        bank=bank,
        course_id=bank.course_id,
        kind=kind,
        prompt=prompt.strip(),
        data=data,
        key=key,
        points=_check_points(points),
    )
    _set_tags(question, clean_tags)
    quiz_cache_bump(bank.course_id)  # a new question joins the draw pools
    return question


@transaction.atomic
def question_update(*, question: Question, **fields: Any) -> Question:
    """Changing what is graded (kind, data, key) regrades submitted attempts in the
    background; a question already answered cannot change its kind."""
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise ValueError(f"Not question fields: {sorted(unknown)}")
    current = Question.objects.select_for_update().get(pk=question.pk)
    answered = AttemptAnswer.objects.filter(question=current).exists()
    if "kind" in fields and fields["kind"] != current.kind and answered:
        raise ServiceError("question_in_use", "Learners answered this question: keep its kind.")
    kind = fields.get("kind", current.kind)
    data = _with_ids(fields["data"]) if "data" in fields else current.data
    key = fields.get("key", current.key)
    payloads.clean_definition(kind, data, key)
    if "prompt" in fields:
        if not str(fields["prompt"]).strip():
            raise _invalid("prompt", "A question needs a prompt.", "required")
        current.prompt = str(fields["prompt"]).strip()
    if "points" in fields:
        current.points = _check_points(fields["points"])
    regrade = answered and (kind, data, key) != (current.kind, current.data, current.key)
    current.kind, current.data, current.key = kind, data, key
    current.updated_at = timezone.now()
    current.save()
    if "tags" in fields:
        _set_tags(current, _clean_tags(fields["tags"]))
    quiz_cache_bump(current.course_id)
    if regrade:
        outbox_publish(topic="quizzes.question_regrade", payload={"question_id": current.pk})
    return current


@transaction.atomic
def question_delete(*, question: Question) -> None:
    quiz_ids = list(QuizItem.objects.filter(question=question).values_list("quiz_id", flat=True))
    try:
        with transaction.atomic():
            question.delete()
    except (ProtectedError, IntegrityError) as exc:
        raise ServiceError(
            "question_in_use", "Learners answered this question; it cannot be deleted."
        ) from exc
    quiz_cache_bump(question.course_id)
    for quiz in Quiz.objects.filter(pk__in=quiz_ids):
        _grade_item_changed(quiz)


# --- quizzes ----------------------------------------------------------------------------


def points_possible(quiz: Quiz) -> Decimal:
    """What one attempt is worth: fixed questions plus draws, each at its item's points."""
    total = Decimal("0")
    for points, question_id, draw_count in QuizItem.objects.filter(quiz=quiz).values_list(
        "points", "question_id", "draw_count"
    ):
        total += points * (1 if question_id else draw_count)
    return total.quantize(Decimal("0.01"))


def _grade_item_changed(quiz: Quiz, *, deleted: bool = False) -> None:
    """A quiz worth nothing (no questions yet) is no grade item: it is sent as deleted
    until it has points (the gradebook refuses items of 0 points, and deleting a missing
    item is a no-op there)."""
    possible = Decimal("0.00") if deleted else points_possible(quiz)
    grade_item_changed.send(
        sender=Quiz,
        course_id=quiz.course_id,
        source="quiz",
        source_id=quiz.pk,
        title=quiz.title,
        points_possible=possible,
        due=quiz.due_at,
        deleted=deleted or possible <= 0,
    )


def _check_quiz(quiz: Quiz) -> None:
    errors: dict[str, ValidationError] = {}
    if not quiz.title.strip():
        errors["title"] = ValidationError("A quiz needs a title.", code="required")
    if quiz.opens_at and quiz.closes_at and quiz.closes_at <= quiz.opens_at:
        errors["closes_at"] = ValidationError("A quiz closes after it opens.", code="invalid")
    for attr in ("results_policy", "answers_policy"):
        policy = getattr(quiz, attr)
        if policy == Quiz.Reveal.AFTER_DUE and quiz.due_at is None:
            errors[attr] = ValidationError("Set a due date for this policy.", code="needs_due")
        if policy == Quiz.Reveal.AFTER_CLOSE and quiz.closes_at is None:
            errors[attr] = ValidationError(
                "Set a closing time for this policy.", code="needs_close"
            )
    if (
        quiz.lesson_id is not None
        and not lesson_list(course=quiz.course).filter(pk=quiz.lesson_id).exists()
    ):
        errors["lesson"] = ValidationError("Pick a lesson of this course.", code="invalid")
    if errors:
        raise ValidationError(errors)
    quiz.full_clean(exclude=["course", "lesson"])


@transaction.atomic
def quiz_create(*, course: "Course", by: "User", title: str, **fields: Any) -> Quiz:
    unknown = set(fields) - set(QUIZ_FIELDS)
    if unknown:
        raise ValueError(f"Not quiz fields: {sorted(unknown)}")
    quiz = Quiz(course=course, title=title.strip(), **fields)
    _check_quiz(quiz)
    quiz.save()
    audit_log_record(actor=by, action="quiz.created", target=quiz)
    _grade_item_changed(quiz)
    if quiz.lesson_id:  # the lesson now shows this quiz's id
        lesson_activity_changed(course_id=quiz.course_id)
    return quiz


@transaction.atomic
def quiz_update(*, quiz: Quiz, by: "User", **fields: Any) -> Quiz:
    unknown = set(fields) - set(QUIZ_FIELDS)
    if unknown:
        raise ValueError(f"Not quiz fields: {sorted(unknown)}")
    current = Quiz.objects.select_for_update().select_related("course").get(pk=quiz.pk)
    # The lesson shows its quiz and what completes it (the pass mark): the outline is
    # rebuilt when either changes.
    linked = (current.lesson_id, current.published, current.passing_score_percent)
    for name, value in fields.items():
        setattr(current, name, value.strip() if name == "title" else value)
    _check_quiz(current)
    current.updated_at = timezone.now()
    current.save()
    _grade_item_changed(current)
    if (current.lesson_id, current.published, current.passing_score_percent) != linked:
        lesson_activity_changed(course_id=current.course_id)
    return current


@transaction.atomic
def quiz_delete(*, quiz: Quiz, by: "User") -> None:
    current = Quiz.objects.select_for_update().get(pk=quiz.pk)
    if Attempt.objects.filter(quiz=current).exists():
        raise ServiceError("quiz_has_attempts", "Learners attempted this quiz; unpublish it.")
    audit_log_record(actor=by, action="quiz.deleted", target=current)
    _grade_item_changed(current, deleted=True)
    if current.lesson_id:
        lesson_activity_changed(course_id=current.course_id)
    current.delete()


def _draw_pool_size(quiz: Quiz, bank: QuestionBank | None, tag: str) -> int:
    qs = Question.objects.filter(course_id=quiz.course_id)
    if bank is not None:
        qs = qs.filter(bank=bank)
    if tag:
        qs = qs.filter(tags__name=tag)
    return qs.distinct().count()


@transaction.atomic
def quiz_item_add(
    *,
    quiz: Quiz,
    points: Decimal | str | int = Decimal("1"),
    question: Question | None = None,
    draw_bank: QuestionBank | None = None,
    draw_tag: str = "",
    draw_count: int = 0,
) -> QuizItem:
    """A fixed question, or `draw_count` random questions from a bank and/or a tag."""
    locked = Quiz.objects.select_for_update().get(pk=quiz.pk)
    value = _check_points(points)
    draw_tag = (draw_tag or "").strip().lower()
    if draw_tag:
        try:
            _clean_tags([draw_tag])
        except ValidationError as exc:
            raise _invalid("draw_tag", "Tags are letters, digits, - and _.") from exc
    if question is not None:
        if draw_bank is not None or draw_tag or draw_count:
            raise _invalid("question", "Either a question or a draw, not both.")
        if question.course_id != locked.course_id:
            raise _invalid("question", "Pick a question of this course.")
        if QuizItem.objects.filter(quiz=locked, question=question).exists():
            raise _invalid("question", "This question is already in the quiz.", "unique")
    else:
        if draw_bank is None and not draw_tag:
            raise _invalid("question", "Give a question, or a bank or tag to draw from.")
        if draw_bank is not None and draw_bank.course_id != locked.course_id:
            raise _invalid("draw_bank", "Pick a bank of this course.")
        if not 1 <= draw_count <= 100:
            raise _invalid("draw_count", "Draw 1 to 100 questions.")
        if _draw_pool_size(locked, draw_bank, draw_tag) < draw_count:
            raise _invalid(
                "draw_count", "There are not that many questions to draw from.", "too_many"
            )
    position = QuizItem.objects.filter(quiz=locked).count()
    item = QuizItem.objects.create(
        quiz=locked,
        position=position,
        question=question,
        draw_bank=draw_bank,
        draw_tag=draw_tag,
        draw_count=0 if question is not None else draw_count,
        points=value,
    )
    locked.updated_at = timezone.now()
    locked.save(update_fields=["updated_at"])
    quiz_cache_bump(locked.course_id)
    _grade_item_changed(locked)
    return item


@transaction.atomic
def quiz_question_add(*, quiz: Quiz, bank: QuestionBank, **question: Any) -> QuizItem:
    """A new question in `bank` (the arguments of `question_create`), added to the quiz as
    a fixed item worth its points: both or neither."""
    created = question_create(bank=bank, **question)
    return quiz_item_add(quiz=quiz, question=created, points=created.points)


@transaction.atomic
def quiz_item_remove(*, item: QuizItem) -> None:
    quiz = Quiz.objects.select_for_update().get(pk=item.quiz_id)
    item.delete()
    for position, pk in enumerate(
        QuizItem.objects.filter(quiz=quiz).order_by("position", "id").values_list("pk", flat=True)
    ):
        QuizItem.objects.filter(pk=pk).update(position=position)
    quiz_cache_bump(quiz.course_id)
    _grade_item_changed(quiz)
