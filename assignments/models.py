"""Assignments, submissions and their files, grades, and the gradebook.

Workflows live in `assignments.services`; the models hold data and the invariants the
database can enforce (one version number per learner and assignment, one score per
learner and item, one stored course grade per learner and course, points never negative).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from courses.models import Course, Lesson

DEFAULT_MAX_FILE_SIZE = 25 * 1024 * 1024


class GradeCategory(models.Model):
    """A weighted group of gradebook items. Weights are relative (normalised over the
    categories that have graded items), so they need not sum to 100."""

    class Kind(models.TextChoices):
        ASSIGNMENTS = "assignments", "Assignments"
        QUIZZES = "quizzes", "Quizzes"
        CUSTOM = "custom", "Custom"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="grade_categories")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CUSTOM)
    weight = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("1"))
    drop_lowest = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name_plural = "grade categories"
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="assign_category_unique_name"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="assign_category_weight_ge0"),
            models.CheckConstraint(
                condition=Q(kind__in=["assignments", "quizzes", "custom"]),
                name="assign_category_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class GradebookSettings(models.Model):
    """Per course: the letter scheme, [[letter, minimum percent], ...] highest first."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="gradebook")
    letter_scheme = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "gradebook settings"

    def __str__(self) -> str:
        return f"gradebook of {self.course_id}"


class Assignment(models.Model):
    class LatePolicy(models.TextChoices):
        REFUSE = "refuse", "Refuse late work"
        ACCEPT = "accept", "Accept, flagged late"
        PENALTY = "penalty", "Penalty per day late"

    class CompleteOn(models.TextChoices):
        SUBMIT = "submit", "Submitting"
        PASS = "pass", "A passing grade"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    category = models.ForeignKey(
        GradeCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)  # Markdown
    instructions_html = models.TextField(blank=True, editable=False)  # sanitised rendering
    allow_text = models.BooleanField(default=True)
    allow_url = models.BooleanField(default=False)
    allow_files = models.BooleanField(default=False)
    allowed_extensions = models.JSONField(default=list, blank=True)  # ["pdf", "png"]
    max_file_size = models.PositiveBigIntegerField(default=DEFAULT_MAX_FILE_SIZE)
    max_files = models.PositiveSmallIntegerField(default=1)
    points_possible = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("100"))
    due_at = models.DateTimeField(null=True, blank=True)
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    late_policy = models.CharField(
        max_length=16, choices=LatePolicy.choices, default=LatePolicy.ACCEPT
    )
    late_penalty_per_day = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0")
    )  # percent of the points, per started day late
    late_penalty_floor = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0")
    )  # percent of the points a late submission keeps at least
    max_resubmissions = models.PositiveSmallIntegerField(default=0)
    # [{"id", "title", "levels": [{"id", "title", "points"}]}]; validated by the services.
    rubric = models.JSONField(default=list, blank=True)
    complete_on = models.CharField(
        max_length=8, choices=CompleteOn.choices, default=CompleteOn.SUBMIT
    )
    pass_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("50"))
    is_published = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["course", "due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(points_possible__gt=0), name="assign_points_positive"
            ),
            models.CheckConstraint(
                condition=Q(late_policy__in=["refuse", "accept", "penalty"]),
                name="assign_late_policy_valid",
            ),
            models.CheckConstraint(
                condition=Q(late_penalty_per_day__gte=0)
                & Q(late_penalty_per_day__lte=100)
                & Q(late_penalty_floor__gte=0)
                & Q(late_penalty_floor__lte=100),
                name="assign_penalty_range",
            ),
            models.CheckConstraint(
                condition=Q(available_from__isnull=True)
                | Q(available_until__isnull=True)
                | Q(available_from__lte=models.F("available_until")),
                name="assign_availability_window",
            ),
            models.CheckConstraint(
                condition=Q(allow_text=True) | Q(allow_url=True) | Q(allow_files=True),
                name="assign_some_submission_type",
            ),
        ]
        indexes = [models.Index(fields=["course", "is_published"], name="assign_course_pub")]

    def __str__(self) -> str:
        return self.title


class Extension(models.Model):
    """Extra days for one learner on one assignment, granted by staff."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    extra_days = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "user"], name="assign_extension_unique")
        ]

    def __str__(self) -> str:
        return f"+{self.extra_days}d for {self.user_id} on {self.assignment_id}"


class Submission(models.Model):
    """One version of a learner's work; the highest version counts."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    version = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    text_html = models.TextField(blank=True, editable=False)
    url = models.URLField(max_length=1000, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    # Computed at submit time and kept: the deadline that applied, lateness and penalty.
    effective_due_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField(default=False)
    days_late = models.PositiveIntegerField(default=0)
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["assignment", "user", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "user", "version"], name="assign_submission_version"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="assign_version_ge1"),
        ]
        indexes = [
            models.Index(fields=["assignment", "user", "-version"], name="assign_sub_latest"),
            models.Index(fields=["user", "-submitted_at"], name="assign_sub_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} v{self.version} of {self.assignment_id}"


class SubmissionFile(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    # A random storage key (never the client's name); see assignments.services.files.
    key = models.CharField(max_length=300, unique=True)
    filename = models.CharField(max_length=200)  # sanitised, for display and download
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["submission", "id"]

    def __str__(self) -> str:
        return self.filename


class Grade(models.Model):
    """One grading of a submission. Regrades add rows: the newest is current, the rest
    is history. Drafts are visible to staff only."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RELEASED = "released", "Released"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="grades")
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    raw_points = models.DecimalField(max_digits=8, decimal_places=2)  # before the penalty
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    points = models.DecimalField(max_digits=8, decimal_places=2)  # after the penalty
    # {"criterion id": "level id"} and the points each gave (a snapshot of the rubric).
    rubric_selections = models.JSONField(default=dict, blank=True)
    rubric_points = models.JSONField(default=dict, blank=True)
    feedback = models.TextField(blank=True)
    feedback_html = models.TextField(blank=True, editable=False)
    feedback_file_key = models.CharField(max_length=300, blank=True)
    feedback_file_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    reason = models.CharField(max_length=300, blank=True)
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission"],
                condition=Q(is_current=True),
                name="assign_one_current_grade",
            ),
            models.CheckConstraint(
                condition=Q(raw_points__gte=0) & Q(points__gte=0), name="assign_grade_points_ge0"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "released"]), name="assign_grade_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points} on {self.submission_id} ({self.status})"


class GradeItem(models.Model):
    """A column of the gradebook: an assignment, a quiz (fed by signals) or a manual item."""

    class Source(models.TextChoices):
        ASSIGNMENT = "assignment", "Assignment"
        QUIZ = "quiz", "Quiz"
        MANUAL = "manual", "Manual"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="grade_items")
    category = models.ForeignKey(
        GradeCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    points_possible = models.DecimalField(max_digits=8, decimal_places=2)
    due_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["course", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "source", "source_id"],
                condition=Q(source_id__isnull=False),
                name="assign_item_unique_source",
            ),
            models.CheckConstraint(
                condition=Q(points_possible__gt=0), name="assign_item_points_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Score(models.Model):
    """A learner's entry in a gradebook cell: the points the source gave, and what staff
    set on top (excused, an override with its reason)."""

    item = models.ForeignKey(GradeItem, on_delete=models.CASCADE, related_name="scores")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The released points (what counts and what the learner sees); a newer draft grade
    # waits in draft_points, visible to staff only.
    points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    draft_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    final = models.BooleanField(default=True)  # False: a quiz waiting for manual grading
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    excused = models.BooleanField(default=False)
    override_points = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    override_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "user"]
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="assign_score_unique"),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gte=0), name="assign_score_ge0"
            ),
            models.CheckConstraint(
                condition=Q(override_points__isnull=True) | Q(override_points__gte=0),
                name="assign_override_ge0",
            ),
        ]
        indexes = [models.Index(fields=["user", "item"], name="assign_score_user")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.item_id}: {self.points}"


class CourseGrade(models.Model):
    """The stored rollup: a learner's course grade, written with the change that moves it."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="course_grades")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Extra credit has no cap (an override may reach 999,999 points on a 0.01-point item),
    # so the stored percent holds whatever the calculation gives: up to 10 integer digits.
    percent = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    letter = models.CharField(max_length=8, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="assign_course_grade_unique")
        ]
        indexes = [models.Index(fields=["course", "percent"], name="assign_cgrade_percent")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id}: {self.percent}"
