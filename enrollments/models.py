"""Enrollments: who is in which course, their place in the waitlist, their accommodations,
and their progress (lesson completions, video positions, the stored rollup).

Workflows live in `enrollments.services`; the models hold data and the invariants the
database can enforce (one enrollment per user and course, one completion per lesson, the
rollup never above 100 %).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from courses.models import Course, Lesson


class Enrollment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        WAITLISTED = "waitlisted", "Waitlisted"
        COMPLETED = "completed", "Completed"
        DROPPED = "dropped", "Dropped"
        REVOKED = "revoked", "Revoked"

    class Source(models.TextChoices):
        SELF = "self", "Self"
        PAID = "paid", "Paid"
        STAFF = "staff", "Staff"
        BULK = "bulk", "Bulk"
        API = "api", "API"

    # Statuses that hold a seat (and count in Course.enrollment_count) and give access.
    SEATED = (Status.ACTIVE, Status.COMPLETED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SELF)
    enrolled_at = models.DateTimeField(default=timezone.now)
    # FIFO order of the waitlist (set when the learner joins it).
    waitlisted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    # Stored rollup over the course's required lessons (kept by the services).
    completed_count = models.PositiveIntegerField(default=0)
    required_total = models.PositiveIntegerField(default=0)
    percent = models.PositiveSmallIntegerField(default=0)

    # Accommodations, set by staff, read by quizzes and assignments.
    time_multiplier = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("10.00"))],
    )
    extra_attempts = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    deadline_extension_days = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(365)]
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollments_unique_user"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "waitlisted", "completed", "dropped", "revoked"]),
                name="enrollments_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["self", "paid", "staff", "bulk", "api"]),
                name="enrollments_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0) & Q(percent__lte=100),
                name="enrollments_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(completed_count__lte=F("required_total")),
                name="enrollments_completed_le_total",
            ),
            models.CheckConstraint(
                condition=~Q(status="waitlisted") | Q(waitlisted_at__isnull=False),
                name="enrollments_waitlisted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(time_multiplier__gte=1) & Q(time_multiplier__lte=10),
                name="enrollments_time_multiplier_range",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "status", "waitlisted_at"], name="enrol_course_status"),
            models.Index(fields=["course", "percent"], name="enrol_course_percent"),
            models.Index(fields=["user", "status"], name="enrol_user_status"),
            models.Index(fields=["course", "id"], name="enrol_course_id"),  # roster keyset
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.course_id} ({self.status})"

    @property
    def is_seated(self) -> bool:
        return self.status in self.SEATED


class LessonCompletion(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="completions")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["completed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson"], name="enrollments_completion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} completed {self.lesson_id}"


class LessonProgress(models.Model):
    """Video heartbeats: where the learner is and how much they have really watched."""

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    last_position_seconds = models.PositiveIntegerField(default=0)
    watched_seconds = models.PositiveIntegerField(default=0)
    # The video's length as the player last reported it (0: never): what the watched
    # share is measured against when the lesson has no duration of its own.
    duration_seconds = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "lesson"], name="enrollments_progress_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} at {self.last_position_seconds}s of {self.lesson_id}"
