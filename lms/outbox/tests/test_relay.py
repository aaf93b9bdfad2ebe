"""outbox_relay without a real worker: eager handlers, an unreachable broker, backoff."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from lms.celery import app as celery_app
from lms.outbox.handlers import handlers_for, outbox_handler, register_task_handler
from lms.outbox.models import OutboxMessage, ProcessedMessage
from lms.outbox.services import (
    outbox_publish,
    outbox_purge_sent,
    outbox_relay,
    outbox_retry_delay,
)
from lms.outbox.tasks import outbox_relay_task
from lms.outbox.tests.handlers import (
    EFFECT_HANDLER,
    FLAKY_TOPIC,
    RELAY_TOPIC,
    Flaky,
    count_delivery,
    deliveries,
    effect_counts,
)

pytestmark = pytest.mark.django_db


def publish(topic: str = RELAY_TOPIC, **payload) -> OutboxMessage:
    with transaction.atomic():
        return outbox_publish(topic=topic, payload=payload)


def test_relay_runs_every_handler_of_the_topic_and_marks_sent():
    message = publish(n=7)
    assert outbox_relay() == 1
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 0
    assert deliveries.snapshot() == {message.pk: 1}
    assert deliveries.payloads[message.pk] == {"n": 7}
    assert effect_counts() == {message.pk: 1}
    assert outbox_relay() == 0  # nothing left


def test_relay_takes_due_messages_in_id_order_one_batch_at_a_time():
    messages = [publish(n=n) for n in range(5)]
    assert outbox_relay(batch_size=2) == 2
    sent = set(OutboxMessage.objects.filter(sent_at__isnull=False).values_list("id", flat=True))
    assert sent == {messages[0].pk, messages[1].pk}


def test_relay_skips_messages_not_yet_due():
    message = publish(n=1)
    OutboxMessage.objects.filter(pk=message.pk).update(
        available_at=timezone.now() + timedelta(minutes=5)
    )
    assert outbox_relay() == 0
    message.refresh_from_db()
    assert message.sent_at is None


def test_topic_without_handler_is_marked_sent_and_logged(caplog):
    message = publish(topic="outbox-test.nobody-listens", n=1)
    assert outbox_relay() == 1
    message.refresh_from_db()
    assert message.sent_at is not None
    assert "no handler" in caplog.text


def test_relaying_a_message_twice_applies_its_effect_once():
    message = publish(n=1)
    assert outbox_relay() == 1
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=None)  # as if the mark was lost
    assert outbox_relay() == 1

    assert deliveries.snapshot() == {message.pk: 2}  # delivered twice...
    assert effect_counts() == {message.pk: 1}  # ...applied once
    assert ProcessedMessage.objects.filter(handler=EFFECT_HANDLER).count() == 1


def test_failed_handler_rolls_back_its_effect_and_is_retried_later():
    Flaky.fail_next = 1
    message = publish(topic=FLAKY_TOPIC)
    other = publish(n=1)

    assert outbox_relay() == 1  # the other message is not held up
    message.refresh_from_db()
    assert message.sent_at is None
    assert message.attempts == 1
    assert "failed on purpose" in message.last_error
    assert message.available_at > timezone.now()
    assert effect_counts() == {other.pk: 1}  # the flaky effect and its marker rolled back
    assert not ProcessedMessage.objects.filter(message_id=message.pk).exists()

    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
    assert outbox_relay() == 1
    assert effect_counts() == {other.pk: 1, message.pk: 1}


def test_unreachable_broker_leaves_the_message_unsent_and_backs_off(unreachable_broker):
    first, second = publish(n=1), publish(n=2)

    assert outbox_relay() == 0  # returns instead of hanging or raising
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is None
    assert first.attempts == 1
    assert first.last_error
    assert first.available_at > timezone.now()
    # It stopped at the first failure rather than wait out the broker once per row.
    assert (second.attempts, second.sent_at) == (0, None)

    assert outbox_relay() == 0  # first is backing off, so second is tried now
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 1)
    assert deliveries.total() == 0


def test_retry_delay_grows_exponentially_with_jitter_and_is_capped():
    for attempts in range(1, 15):
        delay = outbox_retry_delay(attempts).total_seconds()
        full = min(3600, 5 * 2 ** (attempts - 1))
        assert full / 2 <= delay <= full
    assert outbox_retry_delay(10_000).total_seconds() <= 3600


def test_relay_task_drains_several_batches():
    for n in range(5):
        publish(n=n)
    assert outbox_relay_task.apply(kwargs={"batch_size": 2}).get() == 5
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_beat_schedules_the_relay_task_on_the_default_queue():
    name = settings.CELERY_BEAT_SCHEDULE["outbox-relay"]["task"]
    assert celery_app.tasks[name].name == outbox_relay_task.name == name
    assert outbox_relay_task.queue == "default"


def test_handler_registry_routes_a_topic_to_several_queues():
    routes = {(h.task_name, h.queue) for h in handlers_for(RELAY_TOPIC)}
    assert routes == {(count_delivery.name, "webhooks"), (EFFECT_HANDLER, "progress")}
    assert celery_app.tasks[EFFECT_HANDLER].queue == "progress"


def test_handler_registry_rejects_unknown_queue_and_a_task_on_two_topics():
    with pytest.raises(ValueError, match="Unknown queue"):
        outbox_handler("outbox-test.any", queue="no-such-queue")
    with pytest.raises(ValueError, match="already handles"):
        register_task_handler(topic="outbox-test.other", task=count_delivery, queue="default")


def test_purge_deletes_old_sent_messages_and_their_markers_only():
    now = timezone.now()
    old_sent = OutboxMessage.objects.create(topic="t", sent_at=now - timedelta(days=10))
    recent_sent = OutboxMessage.objects.create(topic="t", sent_at=now - timedelta(days=1))
    unsent = OutboxMessage.objects.create(topic="t")
    old = now - timedelta(days=10)
    ProcessedMessage.objects.create(handler="h", message_id=old_sent.pk, processed_at=old)
    ProcessedMessage.objects.create(handler="h", message_id=unsent.pk, processed_at=old)

    assert outbox_purge_sent(older_than=timedelta(days=7)) == 1
    assert set(OutboxMessage.objects.values_list("id", flat=True)) == {recent_sent.pk, unsent.pk}
    assert list(ProcessedMessage.objects.values_list("message_id", flat=True)) == [unsent.pk]


def test_outbox_relay_command_once():
    for n in range(3):
        publish(n=n)
    out = StringIO()
    call_command("outbox_relay", "--once", "--batch-size", "2", stdout=out)
    assert "relayed 3 message(s)" in out.getvalue()
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


def test_admin_lists_messages_by_status_and_is_read_only(admin_client):
    sent = OutboxMessage.objects.create(topic="outbox-test.sent", sent_at=timezone.now())
    failing = OutboxMessage.objects.create(topic="outbox-test.failing", attempts=2)
    pending = OutboxMessage.objects.create(topic="outbox-test.pending")

    url = "/admin/outbox/outboxmessage/"
    response = admin_client.get(url, {"status": "failing"})
    assert response.status_code == 200
    listed = {m.pk for m in response.context["cl"].result_list}
    assert listed == {failing.pk}
    assert {m.pk for m in admin_client.get(url).context["cl"].result_list} == {
        sent.pk,
        failing.pk,
        pending.pk,
    }
    assert admin_client.get(f"{url}add/").status_code == 403
    assert admin_client.post(f"{url}{pending.pk}/change/", {"topic": "x"}).status_code == 403
    assert admin_client.post(f"{url}{pending.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutboxMessage.objects.get(pk=pending.pk).topic == "outbox-test.pending"
