"""Assignments in the Django admin, read-only: assignments, submissions, grades, scores
and stored course grades are written by the services (versions, penalties, the rollup and
the audit trail depend on it). Staff edit through the instructor pages and the API."""

from django.contrib import admin

from assignments.models import (
    Assignment,
    CourseGrade,
    Grade,
    GradeCategory,
    GradeItem,
    Score,
    Submission,
    SubmissionFile,
)
from lms.admin_base import ReadOnlyModelAdmin


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "course", "due_at", "points_possible", "late_policy", "is_published"]
    list_filter = ["is_published", "late_policy"]
    search_fields = ["title", "course__slug", "course__title"]
    list_select_related = ["course"]


class SubmissionFileInline(admin.TabularInline):
    model = SubmissionFile
    fields = ["filename", "size", "content_type", "sha256"]
    readonly_fields = ["filename", "size", "content_type", "sha256"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyModelAdmin):
    list_display = ["assignment", "user", "version", "submitted_at", "is_late", "penalty_percent"]
    list_filter = ["is_late"]
    search_fields = ["user__email", "assignment__title"]
    list_select_related = ["assignment", "user"]
    inlines = [SubmissionFileInline]


@admin.register(Grade)
class GradeAdmin(ReadOnlyModelAdmin):
    list_display = ["submission", "points", "status", "is_current", "grader", "created_at"]
    list_filter = ["status", "is_current"]
    list_select_related = ["submission", "grader"]


@admin.register(GradeCategory)
class GradeCategoryAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "course", "kind", "weight", "drop_lowest"]
    list_select_related = ["course"]


@admin.register(GradeItem)
class GradeItemAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "course", "source", "source_id", "points_possible", "category"]
    list_filter = ["source"]
    list_select_related = ["course", "category"]


@admin.register(Score)
class ScoreAdmin(ReadOnlyModelAdmin):
    list_display = ["item", "user", "points", "draft_points", "excused", "override_points"]
    list_filter = ["excused"]
    search_fields = ["user__email", "item__title"]
    list_select_related = ["item", "user"]


@admin.register(CourseGrade)
class CourseGradeAdmin(ReadOnlyModelAdmin):
    list_display = ["course", "user", "percent", "letter", "computed_at"]
    search_fields = ["user__email", "course__slug"]
    list_select_related = ["course", "user"]
