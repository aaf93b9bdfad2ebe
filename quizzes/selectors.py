"""Reads with rules: quizzes, banks, questions and attempts as each user may see them,
the grading queue, and the statistics (computed in SQL). Each runs a constant number of
queries whatever the number of rows."""

from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, When
from django.db.models.functions import Cast, Coalesce, Floor, Least
from django.http import Http404

from courses.models import Course
from courses.permissions import can_teach
from courses.selectors import LessonActivity, activity_per_lesson
from quizzes.models import Attempt, AttemptAnswer, Question, QuestionBank, Quiz, QuizItem
from quizzes.permissions import can_view_attempt, can_view_quiz, learner_enrollment


def quiz_get(*, quiz_id: int, user: Any) -> Quiz:
    """The quiz if the user may see it (team: always; learners: published, with a
    seat), else 404."""
    quiz = Quiz.objects.select_related("course").filter(pk=quiz_id).first()
    if quiz is None or not can_view_quiz(user, quiz):
        raise Http404
    return quiz


def quiz_list(*, course: Course, user: Any) -> QuerySet[Quiz]:
    qs = Quiz.objects.filter(course=course).order_by("id")
    if not can_teach(user, course):
        qs = qs.filter(published=True)
    return qs.annotate(question_count=_question_count())


def _question_count() -> Any:
    return Coalesce(
        Sum(
            Case(
                When(items__question__isnull=False, then=1),
                default="items__draw_count",
                output_field=IntegerField(),
            )
        ),
        0,
    )


def quiz_items(*, quiz: Quiz) -> list[QuizItem]:
    """Items with their question (and its tags) and draw bank: three queries."""
    return list(
        QuizItem.objects.filter(quiz=quiz)
        .select_related("question", "draw_bank")
        .prefetch_related("question__tags")
        .order_by("position", "id")
    )


def quiz_of_course(*, course: Course, quiz_id: int) -> Quiz:
    """The course's quiz (the team's pages: the course is checked already), else 404."""
    quiz = Quiz.objects.filter(pk=quiz_id, course_id=course.pk).first()
    if quiz is None:
        raise Http404
    quiz.course = course
    return quiz


def quiz_item_get(*, item_id: int, quiz: Quiz | None = None) -> QuizItem:
    """An item with its quiz and course (of `quiz` when given), else 404."""
    items = QuizItem.objects.select_related("quiz__course").filter(pk=item_id)
    if quiz is not None:
        items = items.filter(quiz_id=quiz.pk)
    item = items.first()
    if item is None:
        raise Http404
    return item


def question_of_course(*, course: Course, question_id: int) -> Question | None:
    return Question.objects.filter(pk=question_id, course_id=course.pk).first()


def questions_of_course(*, course: Course, ids: list[int]) -> list[Question]:
    """These questions of the course (one query; others' ids are left out)."""
    return list(Question.objects.filter(course_id=course.pk, pk__in=ids))


def bank_of_course(*, course: Course, bank_id: int) -> QuestionBank | None:
    return QuestionBank.objects.filter(pk=bank_id, course_id=course.pk).first()


def bank_list(*, course: Course) -> QuerySet[QuestionBank]:
    return (
        QuestionBank.objects.filter(course=course)
        .annotate(question_count=Count("questions"))
        .order_by("title", "id")
    )


def bank_get(*, bank_id: int, user: Any) -> QuestionBank:
    """Banks are for the course team only: anyone else gets 404."""
    bank = QuestionBank.objects.select_related("course").filter(pk=bank_id).first()
    if bank is None or not can_teach(user, bank.course):
        raise Http404
    return bank


def question_list(*, bank: QuestionBank) -> QuerySet[Question]:
    return Question.objects.filter(bank=bank).prefetch_related("tags").order_by("id")


def question_get(*, question_id: int, user: Any) -> Question:
    question = (
        Question.objects.select_related("course", "bank")
        .prefetch_related("tags")
        .filter(pk=question_id)
        .first()
    )
    if question is None or not can_teach(user, question.course):
        raise Http404
    return question


def attempt_get(*, attempt_id: int, user: Any) -> Attempt:
    attempt = Attempt.objects.select_related("quiz__course").filter(pk=attempt_id).first()
    if attempt is None or not can_view_attempt(user, attempt):
        raise Http404
    return attempt


def attempt_answers(*, attempt: Attempt) -> list[AttemptAnswer]:
    """The attempt's questions in order, with their question: one query."""
    return list(
        AttemptAnswer.objects.filter(attempt_id=attempt.pk)
        .select_related("question")
        .order_by("position")
    )


def attempt_list(*, quiz: Quiz, user: Any) -> QuerySet[Attempt]:
    """The team sees every attempt; a learner their own."""
    qs = Attempt.objects.filter(quiz=quiz).select_related("user").order_by("user_id", "number")
    if not can_teach(user, quiz.course):
        qs = qs.filter(user_id=user.pk)
    return qs


def attempts_submitted(*, quiz: Quiz) -> QuerySet[Attempt]:
    """For the team's results page: submitted attempts with their learner, newest first."""
    return (
        Attempt.objects.filter(quiz=quiz, status=Attempt.Status.SUBMITTED)
        .select_related("user")
        .order_by("-submitted_at")
    )


def attempt_in_progress(*, quiz: Quiz, user: Any) -> Attempt | None:
    return Attempt.objects.filter(
        quiz=quiz, user_id=user.pk, status=Attempt.Status.IN_PROGRESS
    ).first()


def attempts_used(*, quiz: Quiz, user: Any) -> int:
    return Attempt.objects.filter(quiz=quiz, user_id=user.pk).count()


def learner_state(*, quiz: Quiz, user: Any) -> dict[str, Any] | None:
    """For a learner: attempts used and allowed (with their accommodation)."""
    enrollment = learner_enrollment(user, quiz)
    if enrollment is None:
        return None
    current = (
        Attempt.objects.filter(quiz=quiz, user_id=user.pk, status=Attempt.Status.IN_PROGRESS)
        .values_list("pk", flat=True)
        .first()
    )
    return {
        "attempts_used": attempts_used(quiz=quiz, user=user),
        "attempts_allowed": quiz.max_attempts + enrollment.extra_attempts,
        "time_multiplier": str(enrollment.time_multiplier),
        "attempt_in_progress": current,
    }


def grading_queue(*, quiz: Quiz) -> QuerySet[AttemptAnswer]:
    """Hand-graded answers of submitted attempts that wait for points, oldest first."""
    return (
        AttemptAnswer.objects.filter(
            attempt__quiz=quiz,
            attempt__status=Attempt.Status.SUBMITTED,
            needs_manual=True,
            points_awarded__isnull=True,
        )
        .select_related("question", "attempt__user")
        .order_by("attempt__submitted_at", "attempt_id", "position")
    )


def attempt_answer_get(*, answer_id: int, user: Any) -> AttemptAnswer:
    """For graders (the course team); anyone else 404."""
    answer = (
        AttemptAnswer.objects.select_related("attempt__quiz__course", "question")
        .filter(pk=answer_id)
        .first()
    )
    if answer is None or not can_teach(user, answer.attempt.quiz.course):
        raise Http404
    return answer


def has_attempts(quiz: Quiz) -> bool:
    return Attempt.objects.filter(quiz=quiz).exists()


def quizzes_with_queue(*, course: Course) -> QuerySet[Quiz]:
    """The course's quizzes with how many answers wait for a grader (one query)."""
    return Quiz.objects.filter(course=course).annotate(
        waiting=Count(
            "attempts__answers",
            filter=Q(
                attempts__status=Attempt.Status.SUBMITTED,
                attempts__answers__needs_manual=True,
                attempts__answers__points_awarded__isnull=True,
            ),
        )
    )


# --- statistics (SQL) -------------------------------------------------------------------

HISTOGRAM_BINS = 10


def quiz_statistics(*, quiz: Quiz) -> dict[str, Any]:
    """Over submitted attempts: a score histogram (10 bins of percent), and per question
    its difficulty (share of answers with full credit), discrimination (point-biserial
    correlation between full credit on the question and the attempt's percent) and, for
    choice questions, how often each option was picked. Five queries, all aggregated in
    the database."""
    submitted = Attempt.objects.filter(quiz=quiz, status=Attempt.Status.SUBMITTED)
    summary = submitted.aggregate(count=Count("pk"))
    bins = [0] * HISTOGRAM_BINS
    width = Decimal(100 // HISTOGRAM_BINS)
    for bucket, n in (
        submitted.filter(percent__isnull=False)
        .annotate(
            bucket=Least(
                Cast(Floor(F("percent") / width), output_field=IntegerField()),
                HISTOGRAM_BINS - 1,
            )
        )
        .values("bucket")
        .annotate(n=Count("pk"))
        .values_list("bucket", "n")
    ):
        bins[int(bucket)] = n
    return {
        "attempts": summary["count"],
        "histogram": [
            {"from": i * 100 // HISTOGRAM_BINS, "to": (i + 1) * 100 // HISTOGRAM_BINS, "count": n}
            for i, n in enumerate(bins)
        ],
        "questions": _question_statistics(quiz),
    }


QUESTION_STATS_SQL = """
SELECT a.question_id,
       q.kind,
       q.prompt,
       COUNT(*) AS n,
       AVG(CASE WHEN a.points_awarded >= a.points_possible THEN 1.0 ELSE 0.0 END) AS difficulty,
       AVG(t.percent) AS mean_all,
       AVG(CASE WHEN a.points_awarded >= a.points_possible THEN t.percent END) AS mean_right,
       AVG(CASE WHEN a.points_awarded < a.points_possible THEN t.percent END) AS mean_wrong,
       AVG(t.percent * t.percent) AS mean_sq
FROM quizzes_attemptanswer a
JOIN quizzes_attempt t ON t.id = a.attempt_id
JOIN quizzes_question q ON q.id = a.question_id
WHERE t.quiz_id = %s AND t.status = 'submitted' AND a.points_awarded IS NOT NULL
      AND t.percent IS NOT NULL
GROUP BY a.question_id, q.kind, q.prompt
ORDER BY MIN(a.position), a.question_id
"""

# Option pick counts: single choice responses {"choice": id}, multiple {"choices": [...]}.
SINGLE_PICKS_SQL = """
SELECT a.question_id, a.response ->> 'choice' AS option_id, COUNT(*)
FROM quizzes_attemptanswer a JOIN quizzes_attempt t ON t.id = a.attempt_id
JOIN quizzes_question q ON q.id = a.question_id
WHERE t.quiz_id = %s AND t.status = 'submitted' AND q.kind = 'single'
      AND a.response IS NOT NULL
GROUP BY a.question_id, option_id
"""
MULTIPLE_PICKS_SQL = """
SELECT a.question_id, picks.option_id, COUNT(*)
FROM quizzes_attemptanswer a JOIN quizzes_attempt t ON t.id = a.attempt_id
JOIN quizzes_question q ON q.id = a.question_id
CROSS JOIN LATERAL jsonb_array_elements_text(a.response -> 'choices') AS picks(option_id)
WHERE t.quiz_id = %s AND t.status = 'submitted' AND q.kind = 'multiple'
      AND a.response IS NOT NULL
GROUP BY a.question_id, picks.option_id
"""
SQLITE_SINGLE_PICKS_SQL = SINGLE_PICKS_SQL.replace(
    "a.response ->> 'choice'", "json_extract(a.response, '$.choice')"
)
SQLITE_MULTIPLE_PICKS_SQL = MULTIPLE_PICKS_SQL.replace(
    "CROSS JOIN LATERAL jsonb_array_elements_text(a.response -> 'choices') AS picks(option_id)",
    "JOIN json_each(a.response, '$.choices') AS picks_raw",
).replace("picks.option_id", "picks_raw.value")


def _question_statistics(quiz: Quiz) -> list[dict[str, Any]]:
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(QUESTION_STATS_SQL, [quiz.pk])
        rows = cursor.fetchall()
        picks: dict[int, dict[str, int]] = {}
        for sql in (
            (SINGLE_PICKS_SQL, MULTIPLE_PICKS_SQL)
            if postgres
            else (SQLITE_SINGLE_PICKS_SQL, SQLITE_MULTIPLE_PICKS_SQL)
        ):
            cursor.execute(sql, [quiz.pk])
            for question_id, option_id, n in cursor.fetchall():
                picks.setdefault(question_id, {})[str(option_id)] = n
    out = []
    for qid, kind, prompt, n, difficulty, mean_all, mean_right, mean_wrong, mean_sq in rows:
        p = float(difficulty)
        variance = float(mean_sq) - float(mean_all) ** 2
        discrimination = None
        if mean_right is not None and mean_wrong is not None and variance > 1e-12:
            # Point-biserial: (M1 - M0) / s * sqrt(p q), s the population deviation.
            discrimination = round(
                (float(mean_right) - float(mean_wrong)) / variance**0.5 * (p * (1 - p)) ** 0.5, 4
            )
        out.append(
            {
                "question_id": qid,
                "kind": kind,
                "prompt": prompt,
                "answers": n,
                "difficulty": round(p, 4),
                "discrimination": discrimination,
                "option_counts": picks.get(qid, {}),
            }
        )
    return out


def lesson_quizzes(lesson_ids: list[int]) -> dict[int, LessonActivity]:
    """{lesson_id: its quiz} for these lessons, in one query (registered with courses,
    whose lessons of kind `quiz` show it as `activity_id` and their completion rule): a
    quiz with a pass mark completes its lesson when an attempt passes, one without when
    it is submitted (docs/decisions/0014-completion-rules.md)."""
    rows = activity_per_lesson(
        Quiz.objects.filter(lesson_id__in=lesson_ids),
        published_field="published",
        fields=("passing_score_percent",),
    )
    return {
        lesson_id: LessonActivity(
            id=quiz_id,
            completes_on="pass" if pass_mark > 0 else "submit",
            pass_percent=pass_mark if pass_mark > 0 else None,
        )
        for lesson_id, (quiz_id, pass_mark) in rows.items()
    }
