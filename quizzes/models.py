"""Quizzes: question banks, quizzes (fixed questions and random draws), attempts and their
answers.

Workflows (drawing, timing, grading, score policies) live in `quizzes.services`; the
models hold data and the invariants the database can enforce: one attempt in progress per
learner and quiz, attempt numbers unique per learner and quiz (which caps the count under
concurrency), points never negative, a quiz item either a fixed question or a draw.

A question keeps what learners see (`data`: options, blanks, items) apart from its answer
key (`key`), so nothing that serialises `data` can leak the key.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from courses.models import Course, Lesson

REVEAL_VALUES = ["never", "after_submit", "after_due", "after_close"]


class QuestionBank(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="question_banks")
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "title"], name="quizzes_bank_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        TRUE_FALSE = "true_false", "True / false"
        SHORT_TEXT = "short_text", "Short text"
        NUMERIC = "numeric", "Numeric"
        FILL_BLANKS = "fill_blanks", "Fill in the blanks"
        MATCHING = "matching", "Matching"
        ORDERING = "ordering", "Ordering"
        ESSAY = "essay", "Essay"

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    # Denormalised from the bank: scoping (404 for foreign ids) without a join.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quiz_questions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    prompt = models.TextField()
    # What the learner sees: options, blanks, items, and scoring settings.
    data = models.JSONField(default=dict, blank=True)
    # The answer key: never serialised to learners before the quiz's policy allows.
    key = models.JSONField(default=dict, blank=True)
    points = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1.00"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "single",
                        "multiple",
                        "true_false",
                        "short_text",
                        "numeric",
                        "fill_blanks",
                        "matching",
                        "ordering",
                        "essay",
                    ]
                ),
                name="quizzes_question_kind_valid",
            ),
            models.CheckConstraint(condition=Q(points__gte=0), name="quizzes_question_points"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.prompt[:40]}"


class QuestionTag(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="tags")
    name = models.SlugField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["question", "name"], name="quizzes_tag_unique")
        ]
        indexes = [models.Index(fields=["name"], name="quizzes_tag_name")]

    def __str__(self) -> str:
        return self.name


class Quiz(models.Model):
    class ScorePolicy(models.TextChoices):
        HIGHEST = "highest", "Highest attempt"
        LATEST = "latest", "Latest attempt"
        AVERAGE = "average", "Average of attempts"

    class Reveal(models.TextChoices):
        NEVER = "never", "Never"
        AFTER_SUBMIT = "after_submit", "After submitting"
        AFTER_DUE = "after_due", "After the due date"
        AFTER_CLOSE = "after_close", "After the quiz closes"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quizzes")
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="quizzes"
    )
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    time_limit_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    passing_score_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("60.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    score_policy = models.CharField(
        max_length=16, choices=ScorePolicy.choices, default=ScorePolicy.HIGHEST
    )
    shuffle_questions = models.BooleanField(default=False)
    shuffle_options = models.BooleanField(default=False)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    results_policy = models.CharField(
        max_length=16, choices=Reveal.choices, default=Reveal.AFTER_SUBMIT
    )
    answers_policy = models.CharField(max_length=16, choices=Reveal.choices, default=Reveal.NEVER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["course", "id"]
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(score_policy__in=["highest", "latest", "average"]),
                name="quizzes_quiz_score_policy_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    results_policy__in=["never", "after_submit", "after_due", "after_close"]
                )
                & Q(answers_policy__in=["never", "after_submit", "after_due", "after_close"]),
                name="quizzes_quiz_reveal_valid",
            ),
            models.CheckConstraint(
                condition=Q(passing_score_percent__gte=0) & Q(passing_score_percent__lte=100),
                name="quizzes_quiz_passing_pct",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1), name="quizzes_quiz_max_attempts"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(opens_at__lt=F("closes_at")),
                name="quizzes_quiz_window",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuizItem(models.Model):
    """One slot of a quiz: a fixed question, or `count` questions drawn at random from a
    bank or from the course's questions with a tag. Each question is worth `points`."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="quiz_items"
    )
    draw_bank = models.ForeignKey(
        QuestionBank, null=True, blank=True, on_delete=models.CASCADE, related_name="draws"
    )
    draw_tag = models.SlugField(max_length=50, blank=True)
    draw_count = models.PositiveSmallIntegerField(default=0)
    points = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1.00"))

    class Meta:
        ordering = ["quiz", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(question__isnull=False) & Q(draw_bank__isnull=True) & Q(draw_tag=""))
                | (
                    Q(question__isnull=True)
                    & Q(draw_count__gte=1)
                    & (Q(draw_bank__isnull=False) | ~Q(draw_tag=""))
                ),
                name="quizzes_item_question_or_draw",
            ),
            models.CheckConstraint(condition=Q(points__gte=0), name="quizzes_item_points"),
        ]

    def __str__(self) -> str:
        return f"item {self.position} of quiz {self.quiz_id}"

    @property
    def question_count(self) -> int:
        return 1 if self.question_id else self.draw_count


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    seed = models.BigIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    # Answers still waiting for a human grader (essays); the score is final at 0.
    pending_count = models.PositiveSmallIntegerField(default=0)
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["quiz", "user", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "user"],
                condition=Q(status="in_progress"),
                name="quizzes_one_attempt_in_progress",
            ),
            models.UniqueConstraint(
                fields=["quiz", "user", "number"], name="quizzes_attempt_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["in_progress", "submitted"]),
                name="quizzes_attempt_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="quizzes_attempt_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=F("max_score"))),
                name="quizzes_attempt_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="quizzes_attempt_due"),
            models.Index(fields=["quiz", "status"], name="quizzes_attempt_quiz_status"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.user_id} on quiz {self.quiz_id}"

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.SUBMITTED and self.pending_count == 0


class AttemptAnswer(models.Model):
    """One question of one attempt: which question, in which place, worth how much, in
    which option order; the learner's saved response; the grade."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    position = models.PositiveSmallIntegerField()
    points_possible = models.DecimalField(max_digits=8, decimal_places=2)
    # Presentation order of options / items / choices, drawn once per attempt.
    order = models.JSONField(default=dict, blank=True)
    response = models.JSONField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    points_awarded = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # Manual answers wait in the grading queue until a grader sets points.
    needs_manual = models.BooleanField(default=False)
    feedback = models.TextField(blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    graded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="quizzes_answer_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(points_awarded__isnull=True)
                | (Q(points_awarded__gte=0) & Q(points_awarded__lte=F("points_possible"))),
                name="quizzes_answer_points_range",
            ),
        ]
        indexes = [
            models.Index(fields=["question"], name="quizzes_answer_question"),
        ]

    def __str__(self) -> str:
        return f"answer {self.position} of attempt {self.attempt_id}"
