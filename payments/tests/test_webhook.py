"""The webhook: signatures (bad, wrong secret, stale, tampered, missing: 400 and nothing
stored), each event once, any order and any number of deliveries to the same state,
amount mismatches flagged, and ten parallel copies of one event."""

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from enrollments.models import Enrollment
from lms.outbox.models import OutboxMessage
from lms.testing import client_for, unchanged
from payments.models import Order, StripeEvent
from payments.tests.stripe_servers import deliver, event, signed

URL = "/api/v1/payments/stripe/webhook/"


def _checkout(student, course):
    data = client_for(student).post(f"/api/v1/courses/{course.slug}/checkout/", {}, format="json")
    assert data.status_code in (200, 201), data.content
    return Order.objects.get(pk=data.json()["data"]["order"]["id"])


def _state(student, course):
    orders = list(
        Order.objects.filter(user=student, course=course).values_list(
            "status", "amount_refunded", "needs_review"
        )
    )
    enrollments = list(
        Enrollment.objects.filter(user=student, course=course).values_list("status", "source")
    )
    paid_topics = OutboxMessage.objects.filter(topic="payments.order_paid").count()
    return orders, enrollments, paid_topics


def _payment_events(order, session):
    intent = {
        "id": session["payment_intent"],
        "object": "payment_intent",
        "amount": order.amount,
        "amount_received": order.amount,
        "currency": order.currency.lower(),
        "status": "succeeded",
        "metadata": {"order_id": str(order.pk)},
        "latest_charge": "ch_test_1",
    }
    failed_other_attempt = {
        **intent,
        "id": "pi_other_attempt",
        "status": "requires_payment_method",
        "amount_received": 0,
        "latest_charge": "ch_test_failed",
    }
    completed = event("checkout.session.completed", session)
    return [
        completed,
        completed,
        completed,  # Stripe's retries carry the same event id
        event("payment_intent.succeeded", intent),
        event("payment_intent.payment_failed", failed_other_attempt),
    ]


# --- signatures -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "case", ["missing", "garbage", "wrong_secret", "stale", "tampered", "future_replay"]
)
def test_bad_signatures_answer_400_and_store_nothing(cast, course, stripe_on, case):
    order = _checkout(cast.student, course)
    session = stripe_on.complete(order.stripe_checkout_session_id)
    body = event("checkout.session.completed", session)
    payload, header = signed(body)
    if case == "missing":
        header = ""
    elif case == "garbage":
        header = "t=abc,v1=nothex"
    elif case == "wrong_secret":
        payload, header = signed(body, secret="whsec_not_ours")
    elif case == "stale":
        payload, header = signed(body, timestamp=int(time.time()) - 301)
    elif case == "tampered":
        tampered = json.loads(payload)
        tampered["data"]["object"]["amount_total"] = 1
        payload = json.dumps(tampered).encode()
    elif case == "future_replay":
        payload, header = signed(body, timestamp=int(time.time()) + 3600)
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
    with unchanged(order, counts=(StripeEvent, Enrollment, OutboxMessage)):
        response = client_for(None).post(
            URL, data=payload, content_type="application/json", **extra
        )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_signature"


@pytest.mark.django_db
def test_signed_garbage_is_400_not_500(stripe_on):
    payload, header = signed("not json at all")
    with unchanged(counts=(StripeEvent,)):
        response = client_for(None).post(
            URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"


@pytest.mark.django_db
def test_webhook_without_configuration_answers_503(stripe_off):
    with unchanged(counts=(StripeEvent,)):
        response = deliver(client_for(None), event("payment_intent.succeeded", {"id": "pi_x"}))
    assert response.status_code == 503
    assert response.json()["code"] == "payments_not_configured"


@pytest.mark.django_db
def test_unknown_event_types_are_stored_and_ignored(stripe_on):
    response = deliver(client_for(None), event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert StripeEvent.objects.get().result == "ignored"


# --- idempotency and order independence ---------------------------------------------


@pytest.mark.django_db
def test_every_order_of_the_events_gives_one_paid_order_and_one_enrollment(cast, stripe_on, course):
    from payments.tests.conftest import make_paid_course

    courses = [course] + [make_paid_course(cast) for _ in range(3)]
    seen_states = set()
    # 0-2: checkout.session.completed (one event, three deliveries), 3: the
    # PaymentIntent's succeeded, 4: a late payment_failed of another attempt.
    orders_of_delivery = [(4, 3, 0, 1, 2), (0, 4, 1, 3, 2), (3, 0, 4, 2, 1), (4, 0, 1, 2, 3)]
    for index, permutation in enumerate(orders_of_delivery):
        target = courses[index]
        order = _checkout(cast.student, target)
        session = stripe_on.complete(order.stripe_checkout_session_id)
        events = _payment_events(order, session)
        for position in permutation:
            response = deliver(client_for(None), events[position])
            assert response.status_code == 200
        orders, enrollments, _ = _state(cast.student, target)
        assert orders == [("paid", 0, False)]
        assert enrollments == [("active", "paid")]
        seen_states.add((tuple(orders), tuple(enrollments)))
    assert len(seen_states) == 1
    assert OutboxMessage.objects.filter(topic="payments.order_paid").count() == len(courses)
    # Duplicates were recognised by event id: three deliveries, one row.
    assert StripeEvent.objects.filter(type="checkout.session.completed").count() == len(courses)


@pytest.mark.django_db
def test_refund_before_payment_event_ends_refunded_without_access(cast, course, stripe_on):
    order = _checkout(cast.student, course)
    session = stripe_on.complete(order.stripe_checkout_session_id)
    charge = {
        "id": "ch_test_early",
        "object": "charge",
        "payment_intent": session["payment_intent"],
        "amount": order.amount,
        "amount_refunded": order.amount,
        "metadata": {"order_id": str(order.pk)},
    }
    deliver(client_for(None), event("charge.refunded", charge))
    deliver(client_for(None), event("checkout.session.completed", session))
    order.refresh_from_db()
    assert order.status == "refunded"
    assert not Enrollment.objects.filter(
        user=cast.student, course=course, status__in=Enrollment.SEATED
    ).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "currency"), [(100, "usd"), (4900, "eur"), (4901, "usd")], ids=str
)
def test_amount_or_currency_mismatch_flags_the_order_and_enrolls_nobody(
    cast, course, stripe_on, amount, currency
):
    order = _checkout(cast.student, course)
    session = stripe_on.complete(order.stripe_checkout_session_id, amount=amount)
    session["currency"] = currency
    response = deliver(client_for(None), event("checkout.session.completed", session))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.needs_review is True
    assert order.review_reason.startswith("amount_mismatch")
    assert order.status == "pending"
    assert not Enrollment.objects.filter(user=cast.student, course=course).exists()
    assert not OutboxMessage.objects.filter(topic="payments.order_paid").exists()


@pytest.mark.django_db
def test_a_second_payment_for_a_paid_order_is_flagged_not_enrolled_twice(cast, course, stripe_on):
    order = _checkout(cast.student, course)
    session = stripe_on.complete(order.stripe_checkout_session_id)
    deliver(client_for(None), event("checkout.session.completed", session))
    other = {
        "id": "pi_second_tab",
        "object": "payment_intent",
        "amount": order.amount,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"order_id": str(order.pk)},
    }
    deliver(client_for(None), event("payment_intent.succeeded", other))
    order.refresh_from_db()
    assert order.status == "paid"
    assert order.paid_payment_intent_id == session["payment_intent"]
    assert "duplicate_payment: pi_second_tab" in order.review_reason
    assert Enrollment.objects.filter(user=cast.student, course=course).count() == 1


@pytest.mark.django_db
def test_dispute_revokes_the_paid_enrollment_and_flags(cast, course, stripe_on):
    order = _checkout(cast.student, course)
    session = stripe_on.complete(order.stripe_checkout_session_id)
    deliver(client_for(None), event("checkout.session.completed", session))
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_unknown",
        "payment_intent": session["payment_intent"],
        "reason": "fraudulent",
    }
    deliver(client_for(None), event("charge.dispute.created", dispute))
    order.refresh_from_db()
    assert order.needs_review and "disputed: fraudulent" in order.review_reason
    assert Enrollment.objects.get(user=cast.student, course=course).status == "revoked"


@pytest.mark.django_db
def test_expired_session_cancels_and_a_late_payment_still_settles(cast, course, stripe_on):
    order = _checkout(cast.student, course)
    session = dict(stripe_on.sessions[order.stripe_checkout_session_id])
    deliver(client_for(None), event("checkout.session.expired", {**session, "status": "expired"}))
    order.refresh_from_db()
    assert order.status == "cancelled"
    paid = stripe_on.complete(order.stripe_checkout_session_id)
    deliver(client_for(None), event("checkout.session.completed", paid))
    order.refresh_from_db()
    assert order.status == "paid"
    assert Enrollment.objects.get(user=cast.student, course=course).status == "active"


# --- real concurrency -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_copies_and_shuffled_events_give_one_enrollment(cast, course, stripe_on):
    order = _checkout(cast.student, course)
    session = stripe_on.complete(order.stripe_checkout_session_id)
    events = _payment_events(order, session)
    completed = events[0]
    deliveries = [completed] * 10 + events[3:]
    random.Random(9).shuffle(deliveries)
    bodies = [signed(body) for body in deliveries]
    barrier = threading.Barrier(len(bodies))

    def post(signed_body):
        payload, header = signed_body
        client = client_for(None)
        barrier.wait()
        try:
            return client.post(
                URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        responses = list(pool.map(post, bodies))

    assert [r.status_code for r in responses] == [200] * len(bodies)
    duplicates = sum(r.json()["data"]["duplicate"] for r in responses)
    assert duplicates == 9
    assert Order.objects.filter(user=cast.student, course=course, status="paid").count() == 1
    assert Enrollment.objects.filter(user=cast.student, course=course).count() == 1
    assert Enrollment.objects.get(user=cast.student, course=course).status == "active"
    assert StripeEvent.objects.filter(event_id=completed["id"]).count() == 1
    assert OutboxMessage.objects.filter(topic="payments.order_paid").count() == 1


@pytest.mark.django_db
def test_async_payment_session_waits_fails_then_succeeds(cast, course, stripe_on):
    order = _checkout(cast.student, course)
    session = dict(stripe_on.sessions[order.stripe_checkout_session_id])
    processing = {
        **session,
        "status": "complete",
        "payment_status": "unpaid",
        "payment_intent": "pi_bank_debit",
    }
    deliver(client_for(None), event("checkout.session.completed", processing))
    order.refresh_from_db()
    assert (order.status, order.stripe_payment_intent_id) == ("pending", "pi_bank_debit")
    deliver(client_for(None), event("checkout.session.async_payment_failed", processing))
    order.refresh_from_db()
    assert order.status == "failed"
    assert not Enrollment.objects.filter(user=cast.student, course=course).exists()
    paid = {**processing, "payment_status": "paid"}
    deliver(client_for(None), event("checkout.session.async_payment_succeeded", paid))
    order.refresh_from_db()
    assert order.status == "paid"
    assert Enrollment.objects.get(user=cast.student, course=course).status == "active"
