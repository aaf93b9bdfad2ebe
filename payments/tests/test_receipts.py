"""Receipts leave through the outbox: a real Celery worker on Redis relays them and a real
SMTP server (aiosmtpd) receives them, once each, for a payment and for a refund."""

import pytest

from lms.testing import client_for
from payments.tests.flows import pay_with_intent

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_paid_and_refunded_receipts_through_worker_and_smtp(
    cast,
    course,
    stripe_on,
    localstripe,
    celery_worker,
    smtp_server,
):
    order = pay_with_intent(cast.student, course, localstripe)
    messages = smtp_server.wait_for(2)  # enrollment confirmation + receipt
    receipts = [m for m in messages if m["Subject"] == f"Your receipt for {course.title}"]
    assert len(receipts) == 1
    assert receipts[0]["To"] == cast.student.email
    assert "49.00 USD" in receipts[0].get_body(("plain",)).get_content()

    response = client_for(cast.admin).post(
        f"/api/v1/orders/{order.pk}/refund/", {"amount": 900, "reason": "Late"}, format="json"
    )
    assert response.status_code == 201
    messages = smtp_server.wait_for(3)
    refunds = [m for m in messages if m["Subject"] == f"Refund for {course.title}"]
    assert len(refunds) == 1
    assert "9.00 USD" in refunds[0].get_body(("plain",)).get_content()
