"""Grading and scores: automatic grading on submit (in bulk), hand grading of essays,
regrades after a key changes, the quiz's score policy, and what a score sets off.

After any change to a submitted attempt's score, the learner's counted score (highest,
latest or average of their submitted attempts) goes to the gradebook through
`lms.grading.score_changed`, in the same transaction; `final` is False while an attempt
that counts waits for a human grader. A submitted attempt completes the quiz's lesson (if
it has one) through `enrollments.services.lesson_complete`: at once when the quiz has no
pass mark (`passing_score_percent` 0), else once the attempt passes (an attempt with
essays waiting for a grader completes it when their grading makes it pass);
docs/decisions/0014-completion-rules.md.
"""

import logging
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from enrollments.selectors import seated_enrollment_of
from enrollments.services import lesson_complete
from lms.audit.services import audit_log_record
from lms.errors import ServiceError
from lms.grading import score_changed
from quizzes import grading
from quizzes.models import Attempt, AttemptAnswer, Quiz

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

TWO_PLACES = Decimal("0.01")
REGRADE_BATCH_SIZE = 500


def _grade_rows(answers: list[AttemptAnswer], now: datetime) -> None:
    """Sets points on each row in memory (automatic kinds; blank essays get 0, other
    essays wait for a grader)."""
    for answer in answers:
        question = answer.question
        if question.kind in grading.MANUAL_KINDS:
            answer.needs_manual = True
            if answer.response is None:
                answer.points_awarded = Decimal("0.00")
                answer.graded_at = now
            continue
        share = grading.auto_share(question.kind, question.data, question.key, answer.response)
        answer.points_awarded = grading.points_for(answer.points_possible, share)
        answer.graded_at = now


def _totals(attempt: Attempt, now: datetime) -> None:
    """Score, percent, pass and pending count from the answer rows (one query)."""
    row = AttemptAnswer.objects.filter(attempt_id=attempt.pk).aggregate(
        score=Sum("points_awarded"),
        pending=Count("pk", filter=Q(points_awarded__isnull=True)),
    )
    attempt.score = (row["score"] or Decimal("0")).quantize(TWO_PLACES)
    attempt.pending_count = row["pending"]
    attempt.percent = (
        (attempt.score * 100 / attempt.max_score).quantize(TWO_PLACES)
        if attempt.max_score
        else Decimal("100.00")
    )
    attempt.passed = (
        None if attempt.pending_count else attempt.percent >= attempt.quiz.passing_score_percent
    )
    attempt.graded_at = now if not attempt.pending_count else None


def attempt_grade(*, attempt: Attempt, now: datetime) -> Attempt:
    """Grades a locked, just-submitted attempt: one read and one bulk write of its
    answers whatever their number. Called by attempt_submit."""
    answers = list(AttemptAnswer.objects.filter(attempt_id=attempt.pk).select_related("question"))
    _grade_rows(answers, now)
    AttemptAnswer.objects.bulk_update(answers, ["points_awarded", "needs_manual", "graded_at"])
    _totals(attempt, now)
    attempt.save()
    score_publish(quiz=attempt.quiz, user_id=attempt.user_id)
    _complete_lesson_if_done(attempt)
    return attempt


# --- the counted score ------------------------------------------------------------------


def _policy_score(
    quiz: Quiz, rows: list[tuple[Decimal | None, int]]
) -> tuple[Decimal | None, bool]:
    """rows: (score, pending_count) of submitted attempts, oldest first."""
    if not rows:
        return None, True
    scores = [score or Decimal("0") for score, _ in rows]
    if quiz.score_policy == Quiz.ScorePolicy.LATEST:
        return scores[-1], rows[-1][1] == 0
    final = all(pending == 0 for _, pending in rows)
    if quiz.score_policy == Quiz.ScorePolicy.AVERAGE:
        return (sum(scores, Decimal("0")) / len(scores)).quantize(TWO_PLACES), final
    return max(scores), final


def _attempt_rows(quiz: Quiz, user_id: int) -> list[tuple[str, Decimal | None, int, Decimal]]:
    return list(
        Attempt.objects.filter(quiz=quiz, user_id=user_id)
        .order_by("number")
        .values_list("status", "score", "pending_count", "max_score")
    )


def counted_score(*, quiz: Quiz, user_id: int) -> tuple[Decimal | None, bool]:
    """(points earned per the score policy or None without a submitted attempt, final)."""
    rows = _attempt_rows(quiz, user_id)
    submitted = [(score, pending) for status, score, pending, _ in rows if status == "submitted"]
    return _policy_score(quiz, submitted)


def score_publish(*, quiz: Quiz, user_id: int) -> None:
    """Tells the gradebook the learner's counted score (inside the caller's transaction).
    One query: the learner's attempts of the quiz."""
    rows = _attempt_rows(quiz, user_id)
    submitted = [(score, pending) for status, score, pending, _ in rows if status == "submitted"]
    earned, final = _policy_score(quiz, submitted)
    score_changed.send(
        sender=Quiz,
        course_id=quiz.course_id,
        user_id=user_id,
        source="quiz",
        source_id=quiz.pk,
        points_earned=earned,
        points_possible=rows[-1][3] if rows else Decimal("0.00"),
        final=final,
    )


def _complete_lesson_if_done(attempt: Attempt) -> None:
    """The quiz lesson's completion rule, applied to a submitted attempt after each change
    of its score: no pass mark, submitting completes (pending essays or not); with one, a
    passing score does (`passed` is None while essays wait, so the lesson waits too)."""
    quiz = attempt.quiz
    if quiz.lesson_id is None or attempt.status != Attempt.Status.SUBMITTED:
        return
    if quiz.passing_score_percent > 0 and not attempt.passed:
        return
    lesson = quiz.lesson
    enrollment = seated_enrollment_of(user_id=attempt.user_id, course_id=quiz.course_id)
    if enrollment is None or lesson is None:
        return  # the learner left the course; nothing to complete
    lesson_complete(enrollment=enrollment, lesson=lesson)


# --- hand grading -----------------------------------------------------------------------


@transaction.atomic
def answer_grade(
    *, answer: AttemptAnswer, points: Decimal, feedback: str = "", by: "User"
) -> AttemptAnswer:
    """A grader scores an essay (or re-scores it); the answer comes back with its attempt
    rescored. Raises ServiceError `not_manual` or `not_submitted`, ValidationError for
    points outside 0..possible."""
    attempt = Attempt.objects.select_for_update().select_related("quiz").get(pk=answer.attempt_id)
    current = AttemptAnswer.objects.select_related("question").get(pk=answer.pk)
    if current.question.kind not in grading.MANUAL_KINDS:
        raise ServiceError("not_manual", "Only essays are graded by hand.")
    if attempt.status != Attempt.Status.SUBMITTED:
        raise ServiceError("not_submitted", "The attempt is not submitted yet.")
    if points < 0 or points > current.points_possible or points != points.quantize(TWO_PLACES):
        raise ValidationError(
            {
                "points": ValidationError(
                    f"From 0 to {current.points_possible}, at most 2 decimals.", code="invalid"
                )
            }
        )
    now = timezone.now()
    before = current.points_awarded
    current.points_awarded = points
    current.feedback = feedback
    current.graded_by = by
    current.graded_at = now
    current.save(update_fields=["points_awarded", "feedback", "graded_by", "graded_at"])
    audit_log_record(
        actor=by,
        action="quiz.answer_graded",
        target=current,
        changes={"points_awarded": [str(before) if before is not None else None, str(points)]},
    )
    _totals(attempt, now)
    attempt.save(update_fields=["score", "percent", "passed", "pending_count", "graded_at"])
    score_publish(quiz=attempt.quiz, user_id=attempt.user_id)
    _complete_lesson_if_done(attempt)
    current.attempt = attempt
    return current


# --- regrade ----------------------------------------------------------------------------


def question_regrade(*, question_id: int, batch_size: int = REGRADE_BATCH_SIZE) -> int:
    """Regrades the automatic answers to a question in submitted attempts, a batch of
    attempts per transaction (attempt rows locked in id order). Idempotent: an answer
    whose points do not change is not written. Returns how many answers changed."""
    changed_total = 0
    last_id = 0
    while True:
        attempt_ids = list(
            AttemptAnswer.objects.filter(
                question_id=question_id,
                attempt__status=Attempt.Status.SUBMITTED,
                attempt_id__gt=last_id,
            )
            .order_by("attempt_id")
            .values_list("attempt_id", flat=True)
            .distinct()[:batch_size]
        )
        if not attempt_ids:
            break
        changed_total += _regrade_batch(question_id, attempt_ids)
        last_id = attempt_ids[-1]
    logger.info("quiz question regraded", extra={"question_id": question_id})
    return changed_total


@transaction.atomic
def _regrade_batch(question_id: int, attempt_ids: list[int]) -> int:
    attempts = {
        a.pk: a
        for a in Attempt.objects.select_for_update()
        .select_related("quiz")
        .filter(pk__in=attempt_ids)
        .order_by("pk")
    }
    answers = list(
        AttemptAnswer.objects.filter(
            question_id=question_id, attempt_id__in=list(attempts)
        ).select_related("question")
    )
    now = timezone.now()
    changed = []
    for answer in answers:
        question = answer.question
        if question.kind in grading.MANUAL_KINDS:
            continue  # a grader's points are theirs
        share = grading.auto_share(question.kind, question.data, question.key, answer.response)
        points = grading.points_for(answer.points_possible, share)
        if points != answer.points_awarded:
            answer.points_awarded = points
            answer.graded_at = now
            changed.append(answer)
    AttemptAnswer.objects.bulk_update(changed, ["points_awarded", "graded_at"])
    learners: set[tuple[int, int]] = set()
    for attempt_id in {a.attempt_id for a in changed}:
        attempt = attempts[attempt_id]
        _totals(attempt, attempt.graded_at or now)
        attempt.save(update_fields=["score", "percent", "passed", "pending_count", "graded_at"])
        learners.add((attempt.quiz_id, attempt.user_id))
        _complete_lesson_if_done(attempt)
    quizzes = {a.quiz_id: a.quiz for a in attempts.values()}
    for quiz_id, user_id in sorted(learners):
        score_publish(quiz=quizzes[quiz_id], user_id=user_id)
    return len(changed)
