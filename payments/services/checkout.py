"""Starting a payment: the order (one open order per learner and course, reused), the
coupon's redemption, and a Stripe Checkout Session or PaymentIntent for it.

The Stripe call runs inside the transaction that holds the learner's and the coupon's row
locks: if Stripe refuses, nothing is stored (no order, no redemption); concurrent
checkouts of one learner run one at a time, and of one coupon too (that is what keeps the
redemption count exact). Each attempt has its own idempotency key, sent to Stripe, so a
retried create returns the same Stripe object.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.services.users import user_lock
from enrollments.services import enrollment_join_check
from lms.audit.services import audit_log_record
from lms.concurrency import race_point
from lms.errors import ServiceError
from payments import stripe_gateway
from payments.models import Order
from payments.services.coupons import (
    coupon_check,
    coupon_lock,
    coupon_price,
    redemption_release,
    redemption_take,
)
from payments.services.orders import PAID_SOURCE, order_settle

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course

# Stripe's shortest Checkout Session lifetime; a session is reused while it has a margin.
CHECKOUT_LIFETIME = timedelta(minutes=30)
CHECKOUT_REUSE_MARGIN = timedelta(minutes=5)


@dataclass
class CheckoutResult:
    order: Order
    created: bool  # a new order (else an open one was reused)
    checkout_url: str = ""
    client_secret: str = ""
    enrolled: bool = False  # a 100% coupon enrolled without Stripe


def _check_course(*, user: "User", course: "Course") -> None:
    if course.is_free:
        raise ServiceError(
            "course_is_free",
            "This course is free: enroll directly.",
            enroll=f"/api/v1/courses/{course.slug}/enroll/",
        )
    # The one join rule (window, seat, revocation; a full course is not sold, since a
    # paid learner always gets a seat once paid).
    enrollment_join_check(course=course, user=user, source=PAID_SOURCE)


@transaction.atomic
def checkout_start(
    *, user: "User", course: "Course", kind: str, coupon_code: str | None = None
) -> CheckoutResult:
    """Creates or reuses the learner's open order for the course and its Stripe object.

    kind: Order.Kind.CHECKOUT (a hosted Checkout Session URL) or Order.Kind.INTENT (a
    PaymentIntent's client secret). A total of 0 (a 100% coupon) settles the order at
    once and enrolls, without Stripe. Raises ServiceError: `course_is_free`, the join
    refusals of enrollments' join check, `coupon_*`, `payments_not_configured`,
    `stripe_error` (nothing stored).
    """
    user_lock(user_id=user.pk)  # one checkout per learner at a time
    _check_course(user=user, course=course)
    order = (
        Order.objects.select_for_update()
        .filter(user=user, course=course, status__in=Order.OPEN)
        .first()
    )
    coupon = coupon_lock(code=coupon_code) if coupon_code else None
    if coupon is not None:
        coupon_check(coupon=coupon, course=course, user=user, order=order)
    priced = coupon_price(coupon=coupon, course=course)
    if priced.total > 0 and not stripe_gateway.is_configured():
        raise ServiceError(
            "payments_not_configured",
            "Payments are not configured on this server; paid courses cannot be bought yet.",
        )
    # Checked (course, open order, coupon); the learner's and the coupon's row locks keep
    # these checks true until the writes below.
    race_point("payments.checkout_checked")

    created = order is None
    now = timezone.now()
    if order is None:
        order = Order(user=user, course=course, created_at=now, attempt=0)
    elif order.coupon_id != (coupon.pk if coupon else None):
        redemption_release(order=order)
    same_terms = (
        not created
        and order.kind == kind
        and order.amount == priced.total
        and order.currency == priced.currency
        and order.coupon_id == (coupon.pk if coupon else None)
    )
    coupon_changed = created or order.coupon_id != (coupon.pk if coupon else None)
    order.coupon = coupon
    order.list_amount = priced.list_amount
    order.discount_amount = priced.discount
    order.amount = priced.total
    order.currency = priced.currency
    order.kind = Order.Kind.FREE if priced.total == 0 else kind
    if same_terms and _reusable(order, now):
        return CheckoutResult(
            order=order,
            created=False,
            checkout_url=order.checkout_url,
            client_secret=order.stripe_client_secret,
        )
    order.attempt += 1
    order.idempotency_key = f"order-{order.public_id}-{order.attempt}"
    order.updated_at = now
    order.status = Order.Status.PENDING
    order.failed_at = None
    order.save()
    if coupon is not None and coupon_changed:
        redemption_take(coupon=coupon, order=order)
    audit_log_record(
        actor=user,
        action="order.checkout_started",
        target=order,
        changes={"attempt": [None, order.attempt], "amount": [None, order.amount]},
    )
    if order.kind == Order.Kind.FREE:
        order.paid_at = now
        outcome = order_settle(order=order, actor=user)
        return CheckoutResult(order=order, created=created, enrolled=outcome == "granted")
    if kind == Order.Kind.CHECKOUT:
        _session_create(order, course, user, now)
    else:
        _intent_create(order, user)
    order.save()
    return CheckoutResult(
        order=order,
        created=created,
        checkout_url=order.checkout_url,
        client_secret=order.stripe_client_secret,
    )


def _reusable(order: Order, now: datetime) -> bool:
    if order.kind == Order.Kind.CHECKOUT:
        return bool(
            order.checkout_url
            and order.checkout_expires_at
            and order.checkout_expires_at - CHECKOUT_REUSE_MARGIN > now
        )
    return bool(order.stripe_client_secret) and order.failed_at is None


def _metadata(order: Order) -> dict[str, str]:
    return {
        "order_id": str(order.pk),
        "order_public_id": str(order.public_id),
        "attempt": str(order.attempt),
    }


def _session_create(order: Order, course: "Course", user: "User", now: datetime) -> None:
    expires_at = now + CHECKOUT_LIFETIME
    params = {
        "mode": "payment",
        "client_reference_id": str(order.pk),
        "customer_email": user.email,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": order.amount,
                    "product_data": {"name": course.title[:250]},
                },
            }
        ],
        "metadata": _metadata(order),
        "payment_intent_data": {"metadata": _metadata(order)},
        "success_url": f"{settings.PAYMENTS_SUCCESS_URL}?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{settings.PAYMENTS_CANCEL_URL}?order={order.public_id}",
        "expires_at": int(expires_at.timestamp()),
    }
    try:
        session = stripe_gateway.checkout_session_create(
            params=params, idempotency_key=order.idempotency_key
        )
    except stripe_gateway.GatewayError as exc:
        raise ServiceError("stripe_error", f"Stripe refused the checkout: {exc}") from exc
    order.stripe_checkout_session_id = session["id"]
    order.checkout_url = session["url"] or ""
    order.checkout_expires_at = expires_at


def _intent_create(order: Order, user: "User") -> None:
    params = {
        "amount": order.amount,
        "currency": order.currency.lower(),
        "metadata": _metadata(order),
    }
    try:
        intent = stripe_gateway.payment_intent_create(
            params=params, idempotency_key=order.idempotency_key
        )
    except stripe_gateway.GatewayError as exc:
        raise ServiceError("stripe_error", f"Stripe refused the payment: {exc}") from exc
    order.stripe_payment_intent_id = intent["id"]
    order.stripe_client_secret = intent["client_secret"] or ""


@transaction.atomic
def order_cancel(*, order: Order, by: "User | None" = None) -> Order:
    """An open order is abandoned (its Checkout Session expired, or the learner gave up):
    its coupon redemption goes back. A payment arriving later still settles it."""
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if locked.status not in Order.OPEN:
        return locked
    redemption_release(order=locked)
    locked.cancelled_at = timezone.now()
    order_settle(order=locked, actor=by)
    return locked
