from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditLogImmutable(Exception):
    """Audit entries are append-only."""


class AuditLog(models.Model):
    """Who did what to which object, when, and from where. Written only by audit_log_record."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who it was, kept when the user row is gone.
    actor_repr = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=100)  # "<app>.<verb>", e.g. "course.published"
    target_type = models.CharField(max_length=100, blank=True)  # model label, "courses.course"
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    # {"field": [old, new]}; dates and decimals are stored as strings.
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # An object's history, newest first.
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx"),
            models.Index(fields=["action", "-at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        target = f" {self.target_type}#{self.target_id}" if self.target_type else ""
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_repr or 'system'} {self.action}{target}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Catches the accidental entry.save() after an edit; bulk queryset updates are not
        # covered (deleting a user nulls actor through one, which is intended).
        if not self._state.adding:
            raise AuditLogImmutable("Audit log entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("Audit log entries cannot be deleted.")
