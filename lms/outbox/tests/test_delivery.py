"""Delivery through a real Redis broker and a real worker, on PostgreSQL."""

import threading
from collections import Counter

import pytest
from django.db import connection

from lms.outbox import services
from lms.outbox.models import OutboxMessage, ProcessedMessage
from lms.outbox.services import outbox_relay
from lms.outbox.tests.conftest import broker_is_idle, wait_until
from lms.outbox.tests.handlers import EFFECT_HANDLER, RELAY_TOPIC, deliveries, effect_counts

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

WAIT_SECONDS = 90


def create_messages(count: int) -> list[int]:
    # Plain rows, not outbox_publish: its post-commit nudge would start a third relay.
    OutboxMessage.objects.bulk_create(
        OutboxMessage(topic=RELAY_TOPIC, payload={"n": n}) for n in range(count)
    )
    return list(OutboxMessage.objects.order_by("id").values_list("id", flat=True))


def relay_until_drained(batch_size: int) -> int:
    total = 0
    while sent := outbox_relay(batch_size=batch_size):
        total += sent
    return total


def wait_for_deliveries(expected: int) -> None:
    delivered = wait_until(
        lambda: deliveries.total() >= expected and broker_is_idle(), timeout=WAIT_SECONDS
    )
    assert delivered, f"{deliveries.total()} of {expected} deliveries within {WAIT_SECONDS}s"


def test_two_concurrent_relays_deliver_each_message_exactly_once(celery_worker, monkeypatch):
    ids = create_messages(300)

    # Each relay waits here before its first publish, so both hold a locked batch at the
    # same moment. Without SKIP LOCKED the second would block on the first's rows and the
    # barrier would break; without locking both would publish the same rows.
    both_locked = threading.Barrier(2, timeout=20)
    waited = threading.local()
    real_dispatch = services._dispatch

    def dispatch(message, **kwargs):
        if not getattr(waited, "done", False):
            waited.done = True
            both_locked.wait()
        real_dispatch(message, **kwargs)

    monkeypatch.setattr(services, "_dispatch", dispatch)

    sent_by: dict[str, int] = {}
    errors: list[BaseException] = []

    def relay(name: str) -> None:
        try:
            sent_by[name] = relay_until_drained(batch_size=50)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # this thread's connection, back to the pool

    # Two relays and the worker each take a pooled connection (DB_POOL_MAX_SIZE, 4 by
    # default); this thread gives its own back meanwhile.
    connection.close()
    threads = [threading.Thread(target=relay, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a relay did not finish"
    assert not errors, errors
    failures = list(
        OutboxMessage.objects.exclude(last_error="").values_list("id", "last_error")[:5]
    )
    assert not failures, failures
    assert sent_by["a"] > 0 and sent_by["b"] > 0, sent_by  # they really shared the work
    assert sent_by["a"] + sent_by["b"] == 300

    wait_for_deliveries(300)
    assert deliveries.snapshot() == Counter({message_id: 1 for message_id in ids})
    assert all(deliveries.payloads[i]["n"] == n for n, i in enumerate(ids))
    assert effect_counts() == Counter({message_id: 1 for message_id in ids})
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_a_message_relayed_twice_has_its_effect_once(celery_worker):
    ids = create_messages(20)
    assert relay_until_drained(batch_size=100) == 20
    wait_for_deliveries(20)

    # As if the relay died after publishing and before its commit: the rows go out again.
    OutboxMessage.objects.filter(id__in=ids).update(sent_at=None)
    assert relay_until_drained(batch_size=100) == 20
    wait_for_deliveries(40)

    assert deliveries.snapshot() == Counter({message_id: 2 for message_id in ids})
    assert effect_counts() == Counter({message_id: 1 for message_id in ids})
    assert ProcessedMessage.objects.filter(handler=EFFECT_HANDLER).count() == 20
