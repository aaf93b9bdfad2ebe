"""Enrollments in the Django admin. Enrollments are created, dropped and completed by the
services (seats, the waitlist, the course counter and the rollup depend on it), so the
admin cannot add or delete them and shows status and rollup read-only; only the
accommodations are editable, saved through `enrollment_accommodations_set` (validated and
audited). Lesson completions are read-only."""

from typing import Any, cast

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from accounts.models import User
from enrollments.models import Enrollment, LessonCompletion
from enrollments.services import ACCOMMODATION_FIELDS, enrollment_accommodations_set


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["course", "user", "status", "percent", "source", "enrolled_at"]
    list_filter = ["status", "source", ("course", admin.RelatedOnlyFieldListFilter)]
    search_fields = [
        "user__email",
        "user__first_name",
        "user__last_name",
        "course__slug",
        "course__title",
    ]
    list_select_related = ["course", "user"]
    date_hierarchy = "enrolled_at"
    ordering = ["-enrolled_at", "-id"]
    readonly_fields = [
        "course",
        "user",
        "status",
        "source",
        "enrolled_at",
        "waitlisted_at",
        "completed_at",
        "dropped_at",
        "last_activity_at",
        "completed_count",
        "required_total",
        "percent",
    ]
    fields = [*readonly_fields, *ACCOMMODATION_FIELDS]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Enrollment, form: ModelForm, change: bool
    ) -> None:
        changed = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in ACCOMMODATION_FIELDS
        }
        if changed:
            enrollment_accommodations_set(enrollment=obj, by=cast(User, request.user), **changed)


@admin.register(LessonCompletion)
class LessonCompletionAdmin(admin.ModelAdmin):
    list_display = ["enrollment", "lesson", "completed_at"]
    list_select_related = ["enrollment__user", "enrollment__course", "lesson"]
    search_fields = ["enrollment__user__email", "enrollment__course__slug", "lesson__title"]
    date_hierarchy = "completed_at"
    readonly_fields = ["enrollment", "lesson", "completed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
