"""The order's state: facts recorded from Stripe, the status derived from them, and the
enrollment kept in line with the status.

Every event (and the reconciliation) records facts on the locked order row: a payment
(`paid_at`, the PaymentIntent that paid), a failure (`failed_at`), the total refunded so
far (only ever raised), a dispute. The status is a function of those facts, and the
enrollment is then made to match the status. Facts only accumulate and the function does
not care in which order they arrived, so any order and any number of deliveries of the
same events end in the same state.
"""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

from enrollments.permissions import seated_enrollment
from enrollments.selectors import enrollment_dropped_since
from enrollments.services import enrollment_create, enrollment_revoke
from lms.audit.services import audit_log_record
from lms.errors import ServiceError
from lms.outbox.services import outbox_publish
from payments.models import Order
from payments.money import format_amount

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

OUTCOME_GRANTED = "granted"
OUTCOME_REVOKED = "revoked"
# The enrollment source a payment grants (enrollments' public `source` value).
PAID_SOURCE = "paid"


@dataclass
class Payment:
    """What Stripe says was paid, from an event or a listed object."""

    intent_id: str
    amount: int
    currency: str
    charge_id: str = ""


def order_lock(order_id: int) -> Order | None:
    return Order.objects.select_for_update().filter(pk=order_id).first()


def derived_status(order: Order) -> str:
    if order.paid_at is not None:
        if order.amount_refunded >= order.amount > 0:
            return Order.Status.REFUNDED
        if order.amount_refunded > 0:
            return Order.Status.PARTIALLY_REFUNDED
        return Order.Status.PAID
    if order.cancelled_at is not None:
        return Order.Status.CANCELLED
    if order.failed_at is not None:
        return Order.Status.FAILED
    return Order.Status.PENDING


def _flag(order: Order, reason: str) -> None:
    if reason not in order.review_reason:
        order.review_reason = "; ".join(r for r in (order.review_reason, reason) if r)[:200]
    order.needs_review = True


def payment_record(*, order: Order, payment: Payment) -> None:
    """A successful payment for the (locked) order. A wrong amount or currency, or a second
    payment by another PaymentIntent, flags the order instead of settling it."""
    if payment.currency.upper() != order.currency or payment.amount != order.amount:
        _flag(
            order,
            f"amount_mismatch: paid {format_amount(payment.amount, payment.currency)},"
            f" expected {format_amount(order.amount, order.currency)}",
        )
        logger.warning("stripe payment does not match its order", extra={"order_id": order.pk})
        return
    if order.paid_payment_intent_id and order.paid_payment_intent_id != payment.intent_id:
        _flag(order, f"duplicate_payment: {payment.intent_id}")
        return
    if order.paid_at is None:
        if _other_paid_order(order):
            _flag(order, f"duplicate_payment: {payment.intent_id}")
            return
        order.paid_at = timezone.now()
        order.paid_amount = payment.amount
    order.paid_payment_intent_id = payment.intent_id
    order.stripe_charge_id = payment.charge_id or order.stripe_charge_id


def failure_record(*, order: Order) -> None:
    # A failure never undoes a payment (a late failure of another attempt); the status
    # shows it only while nothing has been paid.
    order.failed_at = order.failed_at or timezone.now()


def refund_total_record(*, order: Order, total: int) -> None:
    """Stripe's running total refunded on the paid charge; only ever raised."""
    total = min(max(total, 0), order.amount)
    if total > order.amount_refunded:
        order.amount_refunded = total
    if order.amount_refunded >= order.amount and order.refunded_at is None:
        order.refunded_at = timezone.now()


def dispute_record(*, order: Order, reason: str) -> None:
    order.disputed_at = order.disputed_at or timezone.now()
    _flag(order, f"disputed: {reason}" if reason else "disputed")


def _wants_enrollment(order: Order) -> bool:
    if order.disputed_at is not None and settings.PAYMENTS_REVOKE_ON_DISPUTE:
        return False
    if order.status in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED):
        return True
    return order.status == Order.Status.REFUNDED and not settings.PAYMENTS_REVOKE_ON_FULL_REFUND


def order_settle(*, order: Order, actor: "User | None" = None) -> str | None:
    """Saves the (locked) order with its derived status, publishes receipts on a new
    payment or refund, and grants or revokes the paid enrollment to match. Returns
    "granted", "revoked" or None."""
    before = Order.objects.filter(pk=order.pk).values("status", "amount_refunded").first()
    old_status = before["status"] if before else None
    old_refunded = before["amount_refunded"] if before else 0
    order.status = derived_status(order)
    order.updated_at = timezone.now()
    order.save()
    if order.status in Order.SETTLED and old_status not in Order.SETTLED:
        audit_log_record(actor=actor, action="order.paid", target=order)
        _publish("payments.order_paid", order)
    if order.amount_refunded > old_refunded:
        audit_log_record(
            actor=actor,
            action="order.refunded",
            target=order,
            changes={"amount_refunded": [old_refunded, order.amount_refunded]},
        )
        _publish("payments.order_refunded", order, amount=order.amount_refunded - old_refunded)
    return _sync_enrollment(order, actor=actor)


def _sync_enrollment(order: Order, *, actor: "User | None") -> str | None:
    # Fresh rows: the seat check memoises on the course instance.
    fresh = Order.objects.select_related("course", "user").get(pk=order.pk)
    course, user = fresh.course, fresh.user
    seat = seated_enrollment(user, course)
    if _wants_enrollment(order):
        if seat is not None or _left_after_paying(order):
            return None
        try:
            enrollment_create(user=user, course=course, source=PAID_SOURCE)
        except ServiceError as exc:
            # Paid but the enrollments service refuses (revoked learner, archived course):
            # staff decide (enroll by hand or refund); the order says why.
            _flag(order, f"enrollment_refused: {exc.code}")
            order.save(update_fields=["needs_review", "review_reason"])
            return None
        return OUTCOME_GRANTED
    if seat is not None and seat.source == PAID_SOURCE:
        # Only the enrollment the payment gave; a staff grant stays.
        if _other_paid_order(order):
            return None
        enrollment_revoke(enrollment=seat, by=actor)
        return OUTCOME_REVOKED
    return None


def _left_after_paying(order: Order) -> bool:
    """The learner dropped the course after this payment: their choice, not a gap to repair."""
    if order.paid_at is None:
        return False
    return enrollment_dropped_since(
        user_id=order.user_id, course_id=order.course_id, since=order.paid_at
    )


def _other_paid_order(order: Order) -> bool:
    return (
        Order.objects.filter(
            user_id=order.user_id,
            course_id=order.course_id,
            status__in=(Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED),
        )
        .exclude(pk=order.pk)
        .exists()
    )


def _publish(topic: str, order: Order, **extra: Any) -> None:
    outbox_publish(
        topic=topic,
        payload={
            "order_id": order.pk,
            "user_id": order.user_id,
            "course_id": order.course_id,
            **extra,
        },
    )
