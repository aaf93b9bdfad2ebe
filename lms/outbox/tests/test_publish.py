"""outbox_publish: the message lives and dies with the caller's transaction."""

import logging
import math
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from lms.outbox.models import OutboxMessage
from lms.outbox.services import OutboxPublishOutsideTransaction, outbox_publish
from lms.outbox.tests.handlers import RELAY_TOPIC, deliveries, effect_counts


class Rollback(Exception):
    pass


def _create_user(email: str):
    return get_user_model().objects.create_user(email, "pw-not-checked-here", role="student")


def test_message_and_business_row_commit_together_and_relay_after_commit(transactional_db):
    with transaction.atomic():
        user = _create_user("committed@example.test")
        message = outbox_publish(topic=RELAY_TOPIC, payload={"user_id": user.pk})
        # Nothing leaves before commit: the nudge is an on_commit hook.
        assert deliveries.total() == 0

    assert get_user_model().objects.filter(email="committed@example.test").exists()
    message.refresh_from_db()
    assert message.payload == {"user_id": user.pk}
    # Test settings run Celery eagerly, so the post-commit nudge relayed it already.
    assert message.sent_at is not None
    assert deliveries.snapshot() == {message.pk: 1}
    assert effect_counts() == {message.pk: 1}


def test_message_and_business_row_roll_back_together(transactional_db):
    with pytest.raises(Rollback), transaction.atomic():
        _create_user("rolled-back@example.test")
        outbox_publish(topic=RELAY_TOPIC, payload={"n": 1})
        raise Rollback

    assert not get_user_model().objects.filter(email="rolled-back@example.test").exists()
    assert not OutboxMessage.objects.exists()
    assert deliveries.total() == 0


def test_message_published_in_a_rolled_back_savepoint_is_gone(db):
    with transaction.atomic():
        kept = outbox_publish(topic=RELAY_TOPIC, payload={"n": 1})
        with pytest.raises(Rollback), transaction.atomic():
            outbox_publish(topic=RELAY_TOPIC, payload={"n": 2})
            raise Rollback
    assert list(OutboxMessage.objects.values_list("id", flat=True)) == [kept.pk]


def test_publish_outside_atomic_raises(transactional_db):
    with pytest.raises(OutboxPublishOutsideTransaction):
        outbox_publish(topic=RELAY_TOPIC, payload={"n": 1})
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [["not", "a", "dict"], {"price": Decimal("9.99")}, {"ratio": math.nan}, {"obj": object()}],
    ids=["list", "decimal", "nan", "object"],
)
def test_publish_rejects_a_payload_that_is_not_plain_json(db, payload):
    with pytest.raises(TypeError), transaction.atomic():
        outbox_publish(topic=RELAY_TOPIC, payload=payload)
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("topic", ["", "x" * 201])
def test_publish_rejects_a_bad_topic(db, topic):
    with pytest.raises(ValueError), transaction.atomic():
        outbox_publish(topic=topic, payload={})


def test_one_relay_nudge_per_transaction(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for n in range(3):
            outbox_publish(topic=RELAY_TOPIC, payload={"n": n})
    assert len(callbacks) == 1


def test_nudge_is_registered_again_when_its_savepoint_rolled_back(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with pytest.raises(Rollback), transaction.atomic():
            outbox_publish(topic=RELAY_TOPIC, payload={"n": 1})
            raise Rollback
        outbox_publish(topic=RELAY_TOPIC, payload={"n": 2})
    assert len(callbacks) == 1


def test_failed_nudge_does_not_fail_the_committed_change(
    db, unreachable_broker, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING, logger="lms.outage")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        message = outbox_publish(topic=RELAY_TOPIC, payload={"n": 1})
    assert len(callbacks) == 1  # it ran, failed to reach the broker, and did not raise
    assert "celery broker at" in caplog.text and "unavailable" in caplog.text
    message.refresh_from_db()
    assert message.sent_at is None  # waiting for the scheduled relay
