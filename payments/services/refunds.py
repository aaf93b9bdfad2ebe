"""Refunds asked by staff: one Stripe refund per idempotency key, under the order's lock.

A repeated call with the same key (the client's `Idempotency-Key`, or by default one
derived from the order, the amount already refunded and the amount asked) finds the
stored refund and does not call Stripe again; a full refund leaves nothing refundable, so
a repeat is refused with 409. The same key goes to Stripe, which deduplicates too.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from lms.audit.services import audit_log_record
from lms.errors import ServiceError
from payments import stripe_gateway
from payments.models import Order, Refund
from payments.services.orders import order_lock, order_settle, refund_total_record

if TYPE_CHECKING:
    from accounts.models import User


@dataclass
class RefundResult:
    refund: Refund
    created: bool


@transaction.atomic
def order_refund(
    *,
    order: Order,
    by: "User",
    reason: str,
    amount: int | None = None,
    idempotency_key: str | None = None,
) -> RefundResult:
    """Refunds `amount` (default: all that is left) of a paid order through Stripe.

    A full refund revokes the paid enrollment (PAYMENTS_REVOKE_ON_FULL_REFUND), a partial
    one keeps it. Raises ServiceError `not_refundable`, `payments_not_configured` or
    `stripe_error` (Stripe refused: nothing stored), ValidationError (reason, amount)."""
    locked = order_lock(order.pk)
    if locked is None:
        raise ServiceError("not_refundable", "This order no longer exists.")
    if idempotency_key:
        found = Refund.objects.filter(idempotency_key=_client_key(locked, idempotency_key)).first()
        if found is not None:
            return RefundResult(refund=found, created=False)
    settled = locked.status in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED)
    if not settled or not locked.paid_payment_intent_id:  # a 100% coupon paid nothing
        raise ServiceError(
            "not_refundable",
            f"Only paid orders can be refunded; this one is {locked.status}.",
        )
    if not reason.strip():
        raise ValidationError({"reason": ValidationError("Say why.", code="required")})
    remaining = locked.refundable_amount
    amount = remaining if amount is None else amount
    if not 1 <= amount <= remaining:
        raise ValidationError(
            {
                "amount": ValidationError(
                    f"Between 1 and {remaining} (minor units).", code="out_of_range"
                )
            }
        )
    if idempotency_key:
        key = _client_key(locked, idempotency_key)  # looked up above
    else:
        key = f"refund-{locked.public_id}-{locked.amount_refunded}-{amount}"
        found = Refund.objects.filter(idempotency_key=key).first()
        if found is not None:
            return RefundResult(refund=found, created=False)
    try:
        stripe_refund = stripe_gateway.refund_create(
            payment_intent_id=locked.paid_payment_intent_id,
            amount=amount,
            metadata={"order_id": str(locked.pk), "reason": reason[:500]},
            idempotency_key=key,
        )
    except stripe_gateway.NotConfigured as exc:
        raise ServiceError(
            "payments_not_configured", "Payments are not configured on this server."
        ) from exc
    except stripe_gateway.GatewayError as exc:
        raise ServiceError("stripe_error", f"Stripe refused the refund: {exc}") from exc
    status = str(stripe_refund.get("status") or "pending")
    refund = Refund.objects.create(
        order=locked,
        amount=amount,
        reason=reason[:500],
        idempotency_key=key,
        stripe_refund_id=str(stripe_refund["id"]),
        status=status if status in Refund.Status.values else Refund.Status.PENDING,
        requested_by=by,
    )
    audit_log_record(
        actor=by,
        action="order.refund_requested",
        target=locked,
        changes={"amount": [None, amount], "reason": [None, reason[:500]]},
    )
    if refund.status == Refund.Status.SUCCEEDED:
        # charge.refunded will report the same running total: recording it twice is a no-op.
        refund_total_record(order=locked, total=locked.amount_refunded + amount)
        order_settle(order=locked, actor=by)
    return RefundResult(refund=refund, created=True)


def _client_key(order: Order, key: str) -> str:
    # Scoped to the order: the same client key on two orders is two refunds.
    return f"refund-{order.public_id}-key-{key.strip()[:60]}"
