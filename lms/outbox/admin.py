from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from lms.admin_base import ReadOnlyModelAdmin
from lms.outbox.models import OutboxMessage, ProcessedMessage


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"
    conditions = {
        "pending": Q(sent_at__isnull=True, attempts=0),
        "failing": Q(sent_at__isnull=True, attempts__gt=0),
        "sent": Q(sent_at__isnull=False),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("pending", "Pending"), ("failing", "Failing (retrying)"), ("sent", "Sent")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        condition = self.conditions.get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "topic", "status", "created_at", "available_at", "sent_at", "attempts"]
    list_filter = [StatusFilter, "topic"]
    search_fields = ["topic", "last_error"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    show_full_result_count = False  # COUNT(*) over a long history on every page is waste


@admin.register(ProcessedMessage)
class ProcessedMessageAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "handler", "message_id", "processed_at"]
    list_filter = ["handler"]
    search_fields = ["handler", "=message_id"]
    ordering = ["-id"]
    show_full_result_count = False
