"""Property: whatever order (and however many times) Stripe delivers a payment's events,
including a partial refund and a late failure of another attempt, the end state is the
same: one order partially refunded by 1000, one active paid enrollment, one receipt.
(Hypothesis runs its examples in one test transaction: each example has its own course,
order and Stripe ids.)"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enrollments.models import Enrollment
from lms.outbox.models import OutboxMessage
from lms.testing import client_for
from payments.models import Order
from payments.tests.conftest import make_paid_course
from payments.tests.stripe_servers import deliver, event

pytestmark = pytest.mark.django_db


def _events(order, session):
    charge_id = f"ch_{session['payment_intent']}"  # unique per payment, as at Stripe
    intent = {
        "id": session["payment_intent"],
        "object": "payment_intent",
        "amount": order.amount,
        "currency": "usd",
        "status": "succeeded",
        "metadata": {"order_id": str(order.pk), "order_public_id": str(order.public_id)},
        "latest_charge": charge_id,
    }
    completed = event("checkout.session.completed", session)
    return {
        "completed": completed,
        "completed_again": completed,
        "intent_succeeded": event("payment_intent.succeeded", intent),
        "other_attempt_failed": event(
            "payment_intent.payment_failed",
            {**intent, "id": f"{intent['id']}_other", "status": "failed"},
        ),
        "partial_refund": event(
            "charge.refunded",
            {
                "id": charge_id,
                "object": "charge",
                "payment_intent": session["payment_intent"],
                "amount": order.amount,
                "amount_refunded": 1000,
                "metadata": {},
            },
        ),
    }


NAMES = [
    "completed",
    "completed_again",
    "intent_succeeded",
    "other_attempt_failed",
    "partial_refund",
]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order_of_delivery=st.permutations(NAMES), repeats=st.lists(st.sampled_from(NAMES), max_size=3)
)
def test_any_delivery_order_gives_the_same_state(cast, stripe_on, order_of_delivery, repeats):
    course = make_paid_course(cast)
    response = client_for(cast.student).post(
        f"/api/v1/courses/{course.slug}/checkout/", {}, format="json"
    )
    order = Order.objects.get(pk=response.json()["data"]["order"]["id"])
    session = stripe_on.complete(order.stripe_checkout_session_id)
    events = _events(order, session)
    for name in [*order_of_delivery, *repeats]:
        assert deliver(client_for(None), events[name]).status_code == 200

    order.refresh_from_db()
    assert (order.status, order.amount_refunded, order.needs_review) == (
        "partially_refunded",
        1000,
        False,
    )
    enrollments = Enrollment.objects.filter(user=cast.student, course=course)
    assert list(enrollments.values_list("status", "source")) == [("active", "paid")]
    assert (
        OutboxMessage.objects.filter(
            topic="payments.order_paid", payload__order_id=order.pk
        ).count()
        == 1
    )
