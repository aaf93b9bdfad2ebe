"""Attempts: start (draw, shuffle, deadline), autosave, submit, expiry.

The server owns the clock. An attempt's deadline is fixed when it starts:
min(start + time limit x the learner's `time_multiplier`, the quiz's closing time).
Answers are accepted until the deadline plus `QUIZ_GRACE_SECONDS` (network latency);
after that an attempt is submitted with what was saved, by the periodic task or the
first read that notices.

Concurrency is settled by the database, not by luck: at most one attempt in progress per
learner and quiz (a partial unique index) and attempt numbers unique per learner and
quiz, so two racing starts cannot both create an attempt, and the number can never pass
`max_attempts + extra_attempts`. Submitting locks the attempt row, so a repeated submit
waits and then returns the result of the first one.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from lms.cache import cached
from lms.concurrency import race_point
from lms.errors import ServiceError
from quizzes import payloads
from quizzes.cache import blueprint_key
from quizzes.models import Attempt, AttemptAnswer, Question, QuestionTag, Quiz, QuizItem
from quizzes.services.scoring import attempt_grade

if TYPE_CHECKING:
    from accounts.models import User
    from enrollments.models import Enrollment

# Where racing starts of one learner are held in tests (lms.testing.run_together): each
# has found no attempt in progress and read the last attempt number, none has inserted.
RACE_START_CHECKED = "quizzes.attempt_start.checked"
# ...and racing submits of one attempt: each has seen it in progress, none has graded it.
RACE_SUBMIT_CHECKED = "quizzes.attempt_submit.checked"

# Items whose presentation order is always shuffled: showing them in the key's order
# would give the answer away.
ALWAYS_SHUFFLED = {"ordering": "items", "matching": "choices"}
OPTION_LISTS = {"single": "options", "multiple": "options"}


def grace() -> timedelta:
    return timedelta(seconds=settings.QUIZ_GRACE_SECONDS)


def attempts_allowed(quiz: Quiz, enrollment: "Enrollment") -> int:
    return quiz.max_attempts + enrollment.extra_attempts


def deadline_for(quiz: Quiz, enrollment: "Enrollment", started_at: datetime) -> datetime | None:
    candidates = []
    if quiz.time_limit_minutes:
        seconds = Decimal(quiz.time_limit_minutes * 60) * enrollment.time_multiplier
        candidates.append(started_at + timedelta(seconds=int(seconds)))
    if quiz.closes_at is not None:
        candidates.append(quiz.closes_at)
    return min(candidates) if candidates else None


def is_past_grace(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + grace()


# --- drawing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One question of an attempt as the draw sees it (from the cached blueprint)."""

    question_id: int
    kind: str
    data: dict[str, Any]
    key_order: list[str] | None  # ordering questions only: never present the answer
    points: Decimal


def _question_entry(question: Question, tags: list[str]) -> dict[str, Any]:
    return {
        "id": question.pk,
        "kind": question.kind,
        "data": question.data,
        "key_order": question.key.get("order") if question.kind == "ordering" else None,
        "bank_id": question.bank_id,
        "tags": tags,
    }


def _blueprint(quiz: Quiz) -> dict[str, Any]:
    """Items with their fixed questions, and the draw pools: one to three queries."""
    items = list(QuizItem.objects.filter(quiz=quiz).select_related("question"))
    questions: dict[int, dict[str, Any]] = {}
    draws = [i for i in items if i.question_id is None]
    if draws:
        pool = Q(bank_id__in=[d.draw_bank_id for d in draws if d.draw_bank_id]) | Q(
            tags__name__in=[d.draw_tag for d in draws if d.draw_tag]
        )
        candidates = list(Question.objects.filter(pool, course_id=quiz.course_id).distinct())
        tags_of: dict[int, list[str]] = {}
        for question_id, name in QuestionTag.objects.filter(
            question_id__in=[q.pk for q in candidates]
        ).values_list("question_id", "name"):
            tags_of.setdefault(question_id, []).append(name)
        for question in candidates:
            questions[question.pk] = _question_entry(question, tags_of.get(question.pk, []))
    for item in items:
        if item.question is not None:
            questions[item.question.pk] = _question_entry(item.question, [])
    return {
        "items": [
            {
                "question_id": i.question_id,
                "bank_id": i.draw_bank_id,
                "tag": i.draw_tag,
                "count": i.draw_count,
                "points": str(i.points),
            }
            for i in items
        ],
        "questions": questions,
    }


def _slot(entry: dict[str, Any], points: str) -> Slot:
    return Slot(entry["id"], entry["kind"], entry["data"], entry["key_order"], Decimal(points))


def _draw(quiz: Quiz, rng: random.Random) -> list[Slot]:
    """Fixed questions and random draws, in item order (then shuffled if the quiz says
    so), from the cached blueprint: no query on a warm cache."""
    blueprint = cached(blueprint_key(quiz.pk, quiz.course_id), lambda: _blueprint(quiz))
    questions: dict[int, dict[str, Any]] = blueprint["questions"]
    items = blueprint["items"]
    used = {item["question_id"] for item in items if item["question_id"]}
    slots: list[Slot] = []
    for item in items:
        if item["question_id"]:
            slots.append(_slot(questions[item["question_id"]], item["points"]))
            continue
        pool_ids = sorted(
            pk
            for pk, q in questions.items()
            if pk not in used
            and (item["bank_id"] is None or q["bank_id"] == item["bank_id"])
            and (not item["tag"] or item["tag"] in q["tags"])
        )
        if len(pool_ids) < item["count"]:
            raise ServiceError(
                "not_enough_questions", "This quiz draws more questions than its pool holds."
            )
        for pk in rng.sample(pool_ids, item["count"]):
            used.add(pk)
            slots.append(_slot(questions[pk], item["points"]))
    if quiz.shuffle_questions:
        rng.shuffle(slots)
    return slots


def presentation_order(quiz: Quiz, slot: Slot, rng: random.Random) -> dict[str, list[str]]:
    order: dict[str, list[str]] = {}
    name = OPTION_LISTS.get(slot.kind)
    if name and quiz.shuffle_options:
        ids = [str(o["id"]) for o in slot.data.get(name, [])]
        rng.shuffle(ids)
        order[name] = ids
    name = ALWAYS_SHUFFLED.get(slot.kind)
    if name:
        ids = [str(o["id"]) for o in slot.data.get(name, [])]
        rng.shuffle(ids)
        if slot.kind == "ordering" and len(ids) > 1 and ids == slot.key_order:
            ids = ids[1:] + ids[:1]  # never present the answer itself
        order[name] = ids
    return order


# --- start ------------------------------------------------------------------------------


def _check_open(quiz: Quiz, now: datetime) -> None:
    if not quiz.published:
        raise ServiceError("quiz_not_open", "This quiz is not published.")
    if quiz.opens_at is not None and now < quiz.opens_at:
        raise ServiceError("quiz_not_open", "This quiz is not open yet.", opens_at=quiz.opens_at)
    if quiz.closes_at is not None and now >= quiz.closes_at:
        raise ServiceError("quiz_closed", "This quiz is closed.")


def attempt_start(
    *, quiz: Quiz, user: "User", enrollment: "Enrollment", now: datetime | None = None
) -> tuple[Attempt, bool]:
    """Starts an attempt, or returns the one in progress (`created` False). Raises
    ServiceError `quiz_not_open`, `quiz_closed`, `no_attempts_left`, `quiz_empty`,
    `not_enough_questions`.

    An expired attempt in progress is submitted first, in its own transaction: a refusal
    to start a new one must not undo that."""
    now = now or timezone.now()
    current = _in_progress(quiz, user)
    if current is not None:
        if not is_past_grace(current, now):
            return current, False
        attempt_submit(attempt=current, auto=True, now=now)
    return _start(quiz=quiz, user=user, enrollment=enrollment, now=now)


START_RETRIES = 5


def _in_progress(quiz: Quiz, user: "User") -> Attempt | None:
    return Attempt.objects.filter(quiz=quiz, user=user, status=Attempt.Status.IN_PROGRESS).first()


@transaction.atomic
def _start(
    *, quiz: Quiz, user: "User", enrollment: "Enrollment", now: datetime
) -> tuple[Attempt, bool]:
    # No attempt was in progress a moment ago; one started since by a racing request
    # makes the insert below fail, and that attempt is returned instead.
    _check_open(quiz, now)
    seed = secrets.randbits(62)
    rng = random.Random(seed)  # noqa: S311 - shuffling, not secrets
    slots = _draw(quiz, rng)
    if not slots:
        raise ServiceError("quiz_empty", "This quiz has no questions yet.")
    # Read committed: each round sees what racing starts committed before it.
    for _ in range(START_RETRIES):
        last = Attempt.objects.filter(quiz=quiz, user=user).aggregate(n=Max("number"))["n"] or 0
        if last >= attempts_allowed(quiz, enrollment):
            raise ServiceError("no_attempts_left", "You have used every attempt of this quiz.")
        race_point(RACE_START_CHECKED)
        try:
            with transaction.atomic():
                attempt = Attempt.objects.create(
                    quiz=quiz,
                    user=user,
                    number=last + 1,
                    seed=seed,
                    started_at=now,
                    deadline=deadline_for(quiz, enrollment, now),
                    max_score=sum((s.points for s in slots), Decimal("0")),
                )
        except IntegrityError:
            # A racing start took this number or is in progress: resume it, or look again.
            current = _in_progress(quiz, user)
            if current is not None:
                return current, False
            continue
        AttemptAnswer.objects.bulk_create(
            [
                AttemptAnswer(
                    attempt=attempt,
                    question_id=slot.question_id,
                    position=position,
                    points_possible=slot.points,
                    order=presentation_order(quiz, slot, rng),
                )
                for position, slot in enumerate(slots)
            ]
        )
        return attempt, True
    raise ServiceError("attempt_conflict", "Too many simultaneous starts; try again.")


# --- autosave ---------------------------------------------------------------------------


def attempt_answers_save(
    *, attempt: Attempt, answers: list[dict[str, Any]], now: datetime | None = None
) -> tuple[Attempt, list[AttemptAnswer]]:
    """Saves some answers ({"answer_id", "response"}; a None response clears one).
    Idempotent; every answer is validated before anything is written (ValidationError
    naming `answers.N.response.<field>`). Returns the attempt and the rows named in
    `answers`. Raises ServiceError `attempt_submitted`, or `deadline_passed` after the
    deadline plus the grace, having submitted the attempt with what was saved in time."""
    now = now or timezone.now()
    try:
        return _answers_save(attempt=attempt, answers=answers, now=now)
    except ServiceError as exc:
        if exc.code == "deadline_passed":
            # In its own transaction: the refusal must not undo the submit.
            attempt_submit(attempt=attempt, auto=True, now=now)
        raise


@transaction.atomic
def _answers_save(
    *, attempt: Attempt, answers: list[dict[str, Any]], now: datetime
) -> tuple[Attempt, list[AttemptAnswer]]:
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.status != Attempt.Status.IN_PROGRESS and not locked.auto_submitted:
        raise ServiceError("attempt_submitted", "This attempt is already submitted.")
    if locked.status != Attempt.Status.IN_PROGRESS or is_past_grace(locked, now):
        raise ServiceError(
            "deadline_passed",
            "Time is up: the deadline has passed and answers are no longer accepted.",
            deadline=locked.deadline,
        )
    rows = {
        a.pk: a for a in AttemptAnswer.objects.filter(attempt=locked).select_related("question")
    }
    errors: dict[str, list[ValidationError]] = {}
    changed: dict[int, AttemptAnswer] = {}
    named: dict[int, AttemptAnswer] = {}
    for index, entry in enumerate(answers):
        answer = rows.get(entry.get("answer_id"))  # type: ignore[arg-type]
        if answer is not None:
            named[answer.pk] = answer
        if answer is None:
            errors[f"answers.{index}.answer_id"] = [
                ValidationError("Not a question of this attempt.", code="invalid")
            ]
            continue
        try:
            response = payloads.clean_response(
                answer.question.kind,
                answer.question.data,
                entry.get("response"),
                attr=f"answers.{index}.response",
            )
        except ValidationError as exc:
            for attr, messages in exc.error_dict.items():
                errors.setdefault(attr, []).extend(messages)
            continue
        if response != answer.response:
            answer.response = response
            answer.saved_at = now
            changed[answer.pk] = answer
    if errors:
        raise ValidationError(errors)
    if changed:
        AttemptAnswer.objects.bulk_update(list(changed.values()), ["response", "saved_at"])
    locked.quiz = attempt.quiz
    return locked, sorted(named.values(), key=lambda a: a.position)


# --- submit and expiry ------------------------------------------------------------------


@transaction.atomic
def attempt_submit(
    *, attempt: Attempt, auto: bool = False, now: datetime | None = None
) -> tuple[Attempt, bool]:
    """Submits and grades the attempt. Idempotent: a repeat (or a racing duplicate, which
    waits for the row lock) returns the attempt as graded the first time, with False."""
    now = now or timezone.now()
    locked = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if locked.status == Attempt.Status.SUBMITTED:
        return locked, False
    race_point(RACE_SUBMIT_CHECKED)
    locked.status = Attempt.Status.SUBMITTED
    # A late auto-submit is stamped with the deadline: that is when time ran out.
    late = locked.deadline is not None and now > locked.deadline
    locked.submitted_at = locked.deadline if (auto and late) else now
    locked.auto_submitted = auto
    attempt_grade(attempt=locked, now=now)
    return locked, True


def attempt_expire_if_due(*, attempt: Attempt, now: datetime | None = None) -> Attempt:
    """On read: an attempt past its deadline plus grace is submitted with its answers."""
    now = now or timezone.now()
    if attempt.status == Attempt.Status.IN_PROGRESS and is_past_grace(attempt, now):
        submitted, _ = attempt_submit(attempt=attempt, auto=True, now=now)
        return submitted
    return attempt


def attempts_expire_due(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """The periodic task: submits every attempt past its deadline plus grace, one short
    transaction each (a failure leaves the rest for the next round). Returns how many."""
    now = now or timezone.now()
    ids = list(
        Attempt.objects.filter(
            status=Attempt.Status.IN_PROGRESS, deadline__lt=now - grace()
        ).values_list("pk", flat=True)[:batch_size]
    )
    done = 0
    for pk in ids:
        _, submitted = attempt_submit(attempt=Attempt(pk=pk), auto=True, now=now)
        done += submitted
    return done
