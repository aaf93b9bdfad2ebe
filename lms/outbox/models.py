from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A side effect written in the same transaction as the change that causes it.

    The relay (services.outbox_relay) hands each unsent row to the Celery tasks registered
    for its topic and then stamps sent_at; a row that cannot be sent waits until
    available_at and is tried again.
    """

    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # Backoff: the relay ignores the row until then.
    available_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The relay's scan: unsent rows in id order. Sent rows (nearly all of the table)
            # stay out of the index, so it stays small however long the history is.
            models.Index(
                fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent_idx"
            ),
            # outbox_purge_sent deletes old sent rows by sent_at.
            models.Index(fields=["sent_at"], name="outbox_sent_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"

    @property
    def status(self) -> str:
        if self.sent_at is not None:
            return "sent"
        return "failing" if self.attempts else "pending"


class ProcessedMessage(models.Model):
    """Marks that a handler has applied a message's effect.

    Inserted in the handler's own transaction, so the marker and the effect commit (or roll
    back) together; the unique constraint turns a second delivery into a no-op.
    """

    handler = models.CharField(max_length=200)
    # Not a foreign key: old outbox rows are purged, and a handler may run before the
    # relay's transaction that marks the row sent has committed.
    message_id = models.BigIntegerField()
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["handler", "message_id"], name="outbox_processed_once"),
        ]
        indexes = [models.Index(fields=["processed_at"], name="outbox_processed_at_idx")]

    def __str__(self) -> str:
        return f"{self.handler} <- #{self.message_id}"
