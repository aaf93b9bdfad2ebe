"""Courses: taxonomy, the course itself, its team and its structure (modules, lessons).

Workflows (publishing, reordering, slugs, rendering Markdown, the search vector, cache
versions) live in `courses.services`; the models hold data and the invariants the database
can enforce.
"""

import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

LANGUAGE_CODE_RE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
CURRENCY_RE = r"^[A-Z]{3}$"
# Text search configuration of the stored vector and of queries (they must match).
SEARCH_CONFIG = "english"


def cover_upload_to(instance: "Course", filename: str) -> str:
    # A random key, never the client's file name: no guessing, no path tricks.
    return f"courses/covers/{secrets.token_hex(16)}.{_extension(filename)}"


def lesson_file_upload_to(instance: "Lesson", filename: str) -> str:
    return f"courses/lessons/{secrets.token_hex(16)}.{_extension(filename)}"


def _extension(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return "".join(c for c in ext if c.isalnum())[:10] or "bin"


class SearchVectorIndex(GinIndex):
    """GIN on PostgreSQL. SQLite has no GIN (and never fills the column): a plain index there,
    so migrations, and SQLite's table rebuilds in later migrations, work on both back-ends."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return models.Index.create_sql(self, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class Category(models.Model):
    """Two levels: a top-level category, or a child of one (services check the depth)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="courses_category_not_own_parent"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.parent_id is None:
            return
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError(
                {"parent": ValidationError("A category cannot be its own parent.", code="invalid")}
            )
        if self.parent is not None and self.parent.parent_id is not None:
            raise ValidationError(
                {
                    "parent": ValidationError(
                        "Categories have two levels: the parent must be a top-level category.",
                        code="too_deep",
                    )
                }
            )
        if self.pk is not None and Category.objects.filter(parent_id=self.pk).exists():
            raise ValidationError(
                {
                    "parent": ValidationError(
                        "A category with subcategories must stay top-level.",
                        code="has_children",
                    )
                }
            )


class Tag(models.Model):
    name = models.CharField(max_length=50)
    slug = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"
        ALL_LEVELS = "all", "All levels"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    subtitle = models.CharField(max_length=300, blank=True)
    # Markdown source, and its sanitised rendering written by the services.
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True, editable=False)
    cover_image = models.ImageField(upload_to=cover_upload_to, blank=True)
    language = models.CharField(
        max_length=16,
        default="en",
        validators=[RegexValidator(LANGUAGE_CODE_RE, "Use a language code such as en or pt-BR.")],
    )
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.ALL_LEVELS)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="courses"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses")
    # Minor units (cents) of `currency`; 0 means free.
    price_amount = models.PositiveIntegerField(default=0)
    currency = models.CharField(
        max_length=3,
        default="USD",
        validators=[RegexValidator(CURRENCY_RE, "Use an ISO 4217 code such as USD.")],
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    enrollment_opens_at = models.DateTimeField(null=True, blank=True)
    enrollment_closes_at = models.DateTimeField(null=True, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    estimated_hours = models.PositiveIntegerField(null=True, blank=True)
    passing_grade = models.PositiveSmallIntegerField(
        default=70,
        validators=[MaxValueValidator(100)],
        help_text="Percent needed to complete the course (used for certificates).",
    )
    # A video lesson completes when the learner has watched this share of it
    # (docs/decisions/0014-completion-rules.md).
    video_complete_percent = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent of a video lesson a learner must watch for it to complete.",
    )
    # Kept by the enrollments app (courses.services.course_enrollment_count_change).
    enrollment_count = models.PositiveIntegerField(default=0, editable=False)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            SearchVectorIndex(fields=["search_vector"], name="courses_course_search_gin"),
            models.Index(fields=["status", "-published_at"], name="courses_course_status_pub"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "archived"]),
                name="courses_course_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(level__in=["beginner", "intermediate", "advanced", "all"]),
                name="courses_course_level_valid",
            ),
            models.CheckConstraint(
                condition=Q(passing_grade__lte=100), name="courses_course_passing_grade_pct"
            ),
            models.CheckConstraint(
                condition=Q(video_complete_percent__gte=1) & Q(video_complete_percent__lte=100),
                name="courses_course_video_complete_pct",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="courses_course_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(enrollment_opens_at__isnull=True)
                | Q(enrollment_closes_at__isnull=True)
                | Q(enrollment_opens_at__lte=models.F("enrollment_closes_at")),
                name="courses_course_enrollment_window",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(starts_at__lte=models.F("ends_at")),
                name="courses_course_run_window",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        errors: dict[str, ValidationError] = {}
        if (
            self.enrollment_opens_at
            and self.enrollment_closes_at
            and self.enrollment_closes_at < self.enrollment_opens_at
        ):
            errors["enrollment_closes_at"] = ValidationError(
                "Enrollment cannot close before it opens.", code="before_opening"
            )
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            errors["ends_at"] = ValidationError(
                "The course cannot end before it starts.", code="before_start"
            )
        if self.currency and not re.fullmatch(CURRENCY_RE, self.currency):
            errors["currency"] = ValidationError(
                "Use an ISO 4217 code such as USD.", code="invalid_currency"
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_free(self) -> bool:
        return self.price_amount == 0


class CourseStaff(models.Model):
    """A member of a course team. Owners manage the team; instructors edit the course;
    teaching assistants grade and see learners but change neither structure nor team."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        INSTRUCTOR = "instructor", "Instructor"
        TA = "ta", "Teaching assistant"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_staff"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["course", "id"]
        verbose_name = "course staff member"
        verbose_name_plural = "course staff"
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="courses_staff_unique_user"),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "instructor", "ta"]),
                name="courses_staff_role_valid",
            ),
        ]
        indexes = [models.Index(fields=["user", "role"], name="courses_staff_user_role")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.course_id}"


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=200)
    # Dense 0..n-1 per course, kept by the services (reorders shift siblings under a lock
    # on the course row; the unique check runs at commit, so shifts may overlap meanwhile).
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "position"],
                name="courses_module_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            )
        ]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        VIDEO = "video", "Video"
        FILE = "file", "File"
        LINK = "link", "Link"
        QUIZ = "quiz", "Quiz"
        ASSIGNMENT = "assignment", "Assignment"

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField()  # dense 0..n-1 per module, like Module.position
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TEXT)
    # Markdown: the text of a text lesson, notes or instructions for the other kinds.
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True, editable=False)
    video_url = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to=lesson_file_upload_to, blank=True, max_length=200)
    link_url = models.URLField(max_length=500, blank=True)
    duration_minutes = models.PositiveIntegerField(default=0)
    is_preview = models.BooleanField(default=False, help_text="Visible before enrolling.")
    required_for_completion = models.BooleanField(default=True)
    # Release rule: at an absolute time, or a number of days after the learner enrolled.
    release_at = models.DateTimeField(null=True, blank=True)
    release_after_days = models.PositiveIntegerField(null=True, blank=True)
    # Locked until every earlier required lesson of the course is completed.
    requires_prerequisites = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["module", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "position"],
                name="courses_lesson_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            models.CheckConstraint(
                condition=Q(release_at__isnull=True) | Q(release_after_days__isnull=True),
                name="courses_lesson_one_release_rule",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["text", "video", "file", "link", "quiz", "assignment"]),
                name="courses_lesson_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.release_at is not None and self.release_after_days is not None:
            raise ValidationError(
                {
                    "release_after_days": ValidationError(
                        "Choose a release date or a number of days after enrolling, not both.",
                        code="conflicting_release_rule",
                    )
                }
            )
