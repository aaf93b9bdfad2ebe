import json

from django.contrib import admin
from django.utils.html import format_html

from lms.admin_base import ReadOnlyModelAdmin
from lms.audit.models import AuditLog

DETAIL_FIELDS = (
    "at",
    "action",
    "actor",
    "actor_repr",
    "target_type",
    "target_id",
    "target_repr",
    "changes_pretty",
    "ip",
    "request_id",
)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyModelAdmin):
    """Read-only: the log is append-only and written only by audit_log_record."""

    list_display = ["at", "action", "actor_repr", "target_type", "target_id", "target_repr", "ip"]
    list_filter = ["action", "target_type", "at"]
    search_fields = ["actor_repr", "action", "=target_id", "target_repr", "=request_id"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    show_full_result_count = False
    fields = DETAIL_FIELDS
    readonly_fields = DETAIL_FIELDS

    @admin.display(description="changes")
    def changes_pretty(self, obj: AuditLog) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, indent=2, sort_keys=True))
