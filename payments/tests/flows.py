"""Whole flows the tests reuse: pay for a course with a real PaymentIntent on localstripe
and deliver the signed webhook, as Stripe would."""

from typing import Any

import stripe

from lms.testing import client_for
from payments.models import Order
from payments.tests.stripe_servers import SECRET_KEY, deliver, event


def sdk(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": url})


def pay_with_intent(user: Any, course: Any, localstripe: Any, *, webhook: bool = True) -> Order:
    response = client_for(user).post(
        "/api/v1/payments/intents/", {"course": course.slug}, format="json"
    )
    assert response.status_code in (200, 201), response.content
    intent_id = response.json()["data"]["payment_intent_id"]
    client = sdk(localstripe.url)
    client.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    intent = client.v1.payment_intents.confirm(intent_id)
    assert intent.status == "succeeded"
    if webhook:
        assert (
            deliver(
                client_for(None), event("payment_intent.succeeded", intent.to_dict())
            ).status_code
            == 200
        )
    return Order.objects.get(pk=response.json()["data"]["order"]["id"])


def charge_event(localstripe: Any, order: Order) -> dict[str, Any]:
    """charge.refunded as Stripe would send it: the charge as localstripe now has it."""
    charge = sdk(localstripe.url).v1.charges.retrieve(order.stripe_charge_id).to_dict()
    return event("charge.refunded", charge)
