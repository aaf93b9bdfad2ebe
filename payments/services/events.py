"""Stripe webhook events: each stored once, applied to its order in the same transaction.

`stripe_event_receive` inserts the event row (unique event id) and applies it while the
order row is locked. A redelivery, even a concurrent one, waits for the first insert's
transaction and then hits the unique constraint: it changes nothing and is answered 200.
Handlers only record facts (see orders.py), so the order of delivery does not matter.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from lms.errors import ServiceError
from payments import stripe_gateway
from payments.models import Order, StripeEvent
from payments.services.coupons import redemption_release
from payments.services.orders import (
    Payment,
    dispute_record,
    failure_record,
    order_lock,
    order_settle,
    payment_record,
    refund_total_record,
)

logger = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], tuple[Order | None, str]]


def _text(value: Any) -> str:
    """An id field that may come expanded (an object) or as a plain id."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def metadata_order_id(obj: dict[str, Any]) -> int | None:
    """Our order id in a Stripe object's metadata (or the session's client_reference_id)."""
    raw = (obj.get("metadata") or {}).get("order_id") or obj.get("client_reference_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _order_for(obj: dict[str, Any], *, intent_id: str = "", charge_id: str = "") -> Order | None:
    """The locked order an object belongs to: by our metadata, else by Stripe ids."""
    order_id = metadata_order_id(obj)
    if order_id is None:
        ids = Q(pk__in=[])
        if intent_id:
            ids |= Q(paid_payment_intent_id=intent_id) | Q(stripe_payment_intent_id=intent_id)
        if charge_id:
            ids |= Q(stripe_charge_id=charge_id)
        order_id = Order.objects.filter(ids).values_list("pk", flat=True).first()
    order = order_lock(order_id) if order_id is not None else None
    public_id = (obj.get("metadata") or {}).get("order_public_id")
    if order is not None and public_id and public_id != str(order.public_id):
        # Our metadata names another order (another database, a reused id): not ours.
        return None
    return order


def session_paid_apply(session: dict[str, Any]) -> tuple[Order | None, str]:
    """checkout.session.completed / async_payment_succeeded (also used by reconcile)."""
    order = _order_for(session)
    if order is None:
        return None, "unknown_order"
    intent_id = _text(session.get("payment_intent"))
    if intent_id and not order.stripe_payment_intent_id:
        order.stripe_payment_intent_id = intent_id
    if session.get("payment_status") != "paid":
        # An async method (bank debit) is still processing: its own event follows.
        order_settle(order=order)
        _replay_parked(order)
        return order, "awaiting_payment"
    payment_record(
        order=order,
        payment=Payment(
            intent_id=intent_id or f"session:{session.get('id')}",
            amount=int(session.get("amount_total") or 0),
            currency=str(session.get("currency") or ""),
        ),
    )
    outcome = order_settle(order=order)
    return order, _replay_parked(order) or outcome or "applied"


def _session_failed(session: dict[str, Any]) -> tuple[Order | None, str]:
    order = _order_for(session)
    if order is None:
        return None, "unknown_order"
    failure_record(order=order)
    return order, order_settle(order=order) or "applied"


def _session_expired(session: dict[str, Any]) -> tuple[Order | None, str]:
    order = _order_for(session)
    if order is None:
        return None, "unknown_order"
    current = order.stripe_checkout_session_id == session.get("id")
    if order.status in Order.OPEN and current:
        # Only the attempt the order is waiting for; an older session's expiry is noise.
        redemption_release(order=order)
        order.cancelled_at = timezone.now()
    return order, order_settle(order=order) or "applied"


def intent_succeeded_apply(intent: dict[str, Any]) -> tuple[Order | None, str]:
    """payment_intent.succeeded (also used by reconcile)."""
    order = _order_for(intent, intent_id=_text(intent.get("id")))
    if order is None:
        return None, "unknown_order"
    payment_record(
        order=order,
        payment=Payment(
            intent_id=_text(intent.get("id")),
            amount=int(intent.get("amount_received") or intent.get("amount") or 0),
            currency=str(intent.get("currency") or ""),
            charge_id=_text(intent.get("latest_charge")),
        ),
    )
    outcome = order_settle(order=order)
    return order, _replay_parked(order) or outcome or "applied"


def _intent_failed(intent: dict[str, Any]) -> tuple[Order | None, str]:
    order = _order_for(intent, intent_id=_text(intent.get("id")))
    if order is None:
        return None, "unknown_order"
    failure_record(order=order)
    return order, order_settle(order=order) or "applied"


def charge_refunded_apply(charge: dict[str, Any]) -> tuple[Order | None, str]:
    """charge.refunded: Stripe's running total (also used by reconcile)."""
    intent_id = _text(charge.get("payment_intent"))
    order = _order_for(charge, intent_id=intent_id, charge_id=_text(charge.get("id")))
    if order is None:
        return None, "unknown_order"
    if order.paid_payment_intent_id and intent_id and intent_id != order.paid_payment_intent_id:
        # The refund of a duplicate payment: the order's own payment is untouched.
        return order, "duplicate_refunded"
    refund_total_record(order=order, total=int(charge.get("amount_refunded") or 0))
    return order, order_settle(order=order) or "applied"


def _dispute_created(dispute: dict[str, Any]) -> tuple[Order | None, str]:
    order = _order_for(
        {},
        intent_id=_text(dispute.get("payment_intent")),
        charge_id=_text(dispute.get("charge")),
    )
    if order is None:
        return None, "unknown_order"
    dispute_record(order=order, reason=str(dispute.get("reason") or ""))
    return order, order_settle(order=order) or "applied"


def _replay_parked(order: Order) -> str | None:
    """Charge events name only the PaymentIntent, which a Checkout order learns from its
    session event. One that came first was parked as `unknown_order`; now that the order
    knows its PaymentIntent, apply it (arrival order must not matter)."""
    intents = {i for i in (order.stripe_payment_intent_id, order.paid_payment_intent_id) if i}
    if not intents:
        return None
    parked = StripeEvent.objects.select_for_update().filter(
        result="unknown_order",
        type__in=("charge.refunded", "charge.dispute.created"),
        payload__data__object__payment_intent__in=list(intents),
    )
    outcome = None
    for row in parked.order_by("id"):
        obj = (row.payload.get("data") or {}).get("object") or {}
        replayed, result = HANDLERS[row.type](obj)
        row.order = replayed
        row.result = f"{result} (replayed)"[:200]
        row.save(update_fields=["order", "result"])
        if result in ("granted", "revoked"):
            outcome = result
    return outcome


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": session_paid_apply,
    "checkout.session.async_payment_succeeded": session_paid_apply,
    "checkout.session.async_payment_failed": _session_failed,
    "checkout.session.expired": _session_expired,
    "payment_intent.succeeded": intent_succeeded_apply,
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": charge_refunded_apply,
    "charge.dispute.created": _dispute_created,
}


@transaction.atomic
def stripe_event_receive(*, event: dict[str, Any]) -> StripeEvent | None:
    """Stores and applies a verified event; None when it was seen before (a duplicate)."""
    created = event.get("created")
    row = StripeEvent(
        event_id=str(event["id"]),
        type=str(event.get("type") or "")[:100],
        livemode=bool(event.get("livemode")),
        stripe_created=datetime.fromtimestamp(int(created), tz=UTC) if created else None,
        payload=event,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        logger.info("stripe event already received", extra={"event_id": row.event_id})
        return None
    handler = HANDLERS.get(row.type)
    if handler is None:
        row.result = "ignored"
    else:
        obj = (event.get("data") or {}).get("object") or {}
        order, result = handler(obj)
        row.order = order
        row.result = result[:200]
    row.save(update_fields=["order", "result"])
    return row


def stripe_webhook_receive(*, payload: bytes, signature: str) -> StripeEvent | None:
    """A webhook delivery: verifies `Stripe-Signature` (secret and timestamp tolerance),
    then stores and applies the event (`stripe_event_receive`; None: a duplicate).

    Raises ServiceError `payments_not_configured`, `invalid_signature` or
    `invalid_payload`; nothing is stored then."""
    try:
        event = stripe_gateway.event_verify(payload=payload, signature=signature)
    except stripe_gateway.NotConfigured as exc:
        raise ServiceError("payments_not_configured", "Payments are not configured.") from exc
    except stripe_gateway.BadSignature as exc:
        raise ServiceError("invalid_signature", str(exc)) from exc
    except stripe_gateway.BadPayload as exc:
        raise ServiceError("invalid_payload", str(exc)) from exc
    return stripe_event_receive(event=event)
