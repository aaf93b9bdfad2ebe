"""Quizzes in the Django admin, read-only: quizzes, banks and questions are authored
through the instructor pages and the API (the services validate keys, keep the gradebook
informed and schedule regrades), and attempts change only through the attempt services
(timing, grading, score policy). The admin looks, it never writes."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from lms.admin_base import ReadOnlyModelAdmin
from quizzes.models import Attempt, AttemptAnswer, Question, QuestionBank, Quiz


@admin.register(Quiz)
class QuizAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "course", "published", "max_attempts", "score_policy", "due_at"]
    list_filter = ["published", "score_policy", ("course", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "course__slug", "course__title"]
    list_select_related = ["course"]


@admin.register(QuestionBank)
class QuestionBankAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "course"]
    search_fields = ["title", "course__slug"]
    list_select_related = ["course"]


@admin.register(Question)
class QuestionAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "kind", "prompt", "bank", "points"]
    list_filter = ["kind"]
    search_fields = ["prompt", "bank__title", "course__slug"]
    list_select_related = ["bank"]


class AttemptAnswerInline(admin.TabularInline):
    model = AttemptAnswer
    fields = ("position", "question", "response", "points_awarded", "points_possible")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyModelAdmin):
    list_display = ["quiz", "user", "number", "status", "score", "max_score", "submitted_at"]
    list_filter = ["status", "auto_submitted"]
    search_fields = ["user__email", "quiz__title"]
    list_select_related = ["quiz", "user"]
    inlines = [AttemptAnswerInline]
