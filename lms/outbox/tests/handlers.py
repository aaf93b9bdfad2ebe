"""Handlers the outbox tests publish to; they register when this module is imported."""

import threading
from collections import Counter
from typing import Any

from celery import shared_task

from lms.audit.models import AuditLog
from lms.audit.services import audit_log_record
from lms.outbox.handlers import outbox_handler, register_task_handler
from lms.outbox.models import OutboxMessage

RELAY_TOPIC = "outbox-test.relay"
FLAKY_TOPIC = "outbox-test.flaky"
EFFECT_ACTION = "outbox-test.handled"
EFFECT_HANDLER = "lms.outbox.tests.handlers.apply_effect"


class DeliveryLog:
    """Every delivery, duplicates included (no dedupe), across the worker thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[int] = Counter()
        self.payloads: dict[int, dict[str, Any]] = {}

    def record(self, message_id: int, payload: dict[str, Any]) -> None:
        with self._lock:
            self.counts[message_id] += 1
            self.payloads[message_id] = payload

    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def snapshot(self) -> Counter[int]:
        with self._lock:
            return Counter(self.counts)

    def clear(self) -> None:
        with self._lock:
            self.counts.clear()
            self.payloads.clear()


deliveries = DeliveryLog()


@shared_task(name="lms.outbox.tests.handlers.count_delivery")
def count_delivery(message_id: int, payload: dict[str, Any]) -> None:
    deliveries.record(message_id, payload)


# A raw task, so it sees every delivery; the relay's own exactly-once is what it measures.
register_task_handler(topic=RELAY_TOPIC, task=count_delivery, queue="webhooks")


@outbox_handler(RELAY_TOPIC, queue="progress", name=EFFECT_HANDLER)
def apply_effect(message_id: int, payload: dict[str, Any]) -> None:
    """A database effect, deduped by @outbox_handler: one audit row per message."""
    message = OutboxMessage.objects.get(pk=message_id)
    audit_log_record(
        actor=None, action=EFFECT_ACTION, target=message, changes={"n": [None, payload.get("n")]}
    )


def effect_counts() -> Counter[int]:
    targets = AuditLog.objects.filter(action=EFFECT_ACTION).values_list("target_id", flat=True)
    return Counter(int(target_id) for target_id in targets)


class Flaky:
    fail_next = 0


@outbox_handler(FLAKY_TOPIC, name="lms.outbox.tests.handlers.flaky_effect")
def flaky_effect(message_id: int, payload: dict[str, Any]) -> None:
    """Writes its effect, then fails while Flaky.fail_next > 0: the effect must roll back."""
    message = OutboxMessage.objects.get(pk=message_id)
    audit_log_record(actor=None, action=EFFECT_ACTION, target=message)
    if Flaky.fail_next > 0:
        Flaky.fail_next -= 1
        raise RuntimeError("flaky handler failed on purpose")
