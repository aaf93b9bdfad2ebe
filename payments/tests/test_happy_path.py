"""A learner pays through a real PaymentIntent on localstripe; the signed webhook settles
the order, enrolls the learner and queues the receipt. Checkout Sessions go through the
same webhook path (the Checkout fake stands in for the one API localstripe lacks)."""

import pytest
import stripe
from django.core import mail

from enrollments.models import Enrollment
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_relay
from lms.testing import client_for
from payments.models import Order, StripeEvent
from payments.tests.stripe_servers import SECRET_KEY, deliver, event

pytestmark = pytest.mark.django_db


def localstripe_client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": url})


def test_paymentintent_paid_on_localstripe_enrolls_once_and_queues_a_receipt(
    cast, course, stripe_on, localstripe
):
    client = client_for(cast.student)
    response = client.post("/api/v1/payments/intents/", {"course": course.slug}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    intent_id = data["payment_intent_id"]
    assert data["client_secret"].startswith(intent_id)
    assert data["order"]["status"] == "pending"
    assert data["order"]["amount"] == 4900

    # The mobile app confirms the PaymentIntent with Stripe (here: localstripe).
    sdk = localstripe_client(localstripe.url)
    sdk.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    intent = sdk.v1.payment_intents.confirm(intent_id)
    assert intent.status == "succeeded"
    assert intent.metadata["order_id"] == str(data["order"]["id"])
    # Paying is not enrolling: only the webhook enrolls.
    assert not Enrollment.objects.filter(user=cast.student, course=course).exists()

    response = deliver(client_for(None), event("payment_intent.succeeded", intent.to_dict()))
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"received": True, "duplicate": False}

    order = Order.objects.get(pk=data["order"]["id"])
    assert order.status == "paid"
    assert order.paid_payment_intent_id == intent_id
    assert order.stripe_charge_id.startswith("ch_")
    enrollment = Enrollment.objects.get(user=cast.student, course=course)
    assert (enrollment.status, enrollment.source) == ("active", "paid")
    assert (
        OutboxMessage.objects.filter(
            topic="payments.order_paid", payload__order_id=order.pk
        ).count()
        == 1
    )
    assert StripeEvent.objects.get().order == order

    mail.outbox.clear()
    outbox_relay()
    receipts = [m for m in mail.outbox if m.subject == f"Your receipt for {course.title}"]
    assert len(receipts) == 1
    assert receipts[0].to == [cast.student.email]
    assert "49.00 USD" in receipts[0].body


def test_checkout_session_paid_enrolls_through_the_webhook(cast, course, stripe_on):
    client = client_for(cast.student)
    response = client.post(f"/api/v1/courses/{course.slug}/checkout/", {}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["checkout_url"].startswith("https://checkout.stripe.test/")
    order = Order.objects.get(pk=data["order"]["id"])
    sent = stripe_on.requests[-1]
    assert sent["idempotency_key"] == order.idempotency_key
    assert sent["form"]["mode"] == "payment"
    assert sent["form"]["client_reference_id"] == str(order.pk)
    assert sent["form"]["metadata[order_id]"] == str(order.pk)
    assert sent["form"]["payment_intent_data[metadata][order_id]"] == str(order.pk)
    assert "{CHECKOUT_SESSION_ID}" in sent["form"]["success_url"]

    session = stripe_on.complete(order.stripe_checkout_session_id)
    response = deliver(client_for(None), event("checkout.session.completed", session))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "paid"
    assert Enrollment.objects.get(user=cast.student, course=course).status == "active"


def test_the_success_redirect_alone_never_enrolls(cast, course, stripe_on, client):
    api = client_for(cast.student)
    data = api.post(f"/api/v1/courses/{course.slug}/checkout/", {}, format="json").json()["data"]
    order = Order.objects.get(pk=data["order"]["id"])
    stripe_on.complete(order.stripe_checkout_session_id)  # paid at Stripe, webhook not yet in
    client.force_login(cast.student)
    page = client.get(f"/payments/success/?session_id={order.stripe_checkout_session_id}")
    assert page.status_code == 200
    assert b"being confirmed" in page.content
    order.refresh_from_db()
    assert order.status == "pending"
    assert not Enrollment.objects.filter(user=cast.student, course=course).exists()
    # Nor does the API: enrolling directly still asks for payment.
    assert api.post(f"/api/v1/courses/{course.slug}/enroll/").status_code == 402
