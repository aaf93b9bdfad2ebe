"""Payments: coupons and their redemptions, orders, refunds and received Stripe events.

Workflows live in `payments.services`; the models hold data and the invariants the
database enforces: one open order per learner and course, one paid order per learner and
course, coupon redemptions never above their limit, each Stripe event stored once.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from courses.models import CURRENCY_RE, Course


class Coupon(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", "Percent off"
        AMOUNT = "amount", "Amount off"

    code = models.CharField(
        max_length=40,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", "Letters, digits, - and _ only.")],
        help_text="What learners type; compared case-insensitively.",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    percent_off = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Minor units of `currency` (fixed-amount coupons only).
    amount_off = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(
        max_length=3, blank=True, validators=[RegexValidator(CURRENCY_RE, "An ISO 4217 code.")]
    )
    # Empty: every course.
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.CASCADE, related_name="coupons"
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no limit."
    )
    max_per_user = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    # Kept under the coupon's row lock by the services; the check constraint backs the limit.
    redeemed_count = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="payments_coupon_code_ci_unique"),
            models.CheckConstraint(
                condition=(
                    Q(kind="percent", percent_off__gte=1, percent_off__lte=100, amount_off=None)
                    | Q(kind="amount", amount_off__gte=1, percent_off=None)
                ),
                name="payments_coupon_kind_value",
            ),
            models.CheckConstraint(
                condition=~Q(kind="amount") | Q(currency__regex=r"^[A-Z]{3}$"),
                name="payments_coupon_amount_has_currency",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions=None) | Q(redeemed_count__lte=F("max_redemptions")),
                name="payments_coupon_redemptions_limit",
            ),
            models.CheckConstraint(
                condition=Q(valid_from=None)
                | Q(valid_until=None)
                | Q(valid_from__lte=F("valid_until")),
                name="payments_coupon_window",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        CANCELLED = "cancelled", "Cancelled"

    class Kind(models.TextChoices):
        CHECKOUT = "checkout", "Checkout Session"
        INTENT = "intent", "PaymentIntent"
        FREE = "free", "Free (100% coupon)"

    # Open: still waiting for a payment; reused by the next checkout of the same learner.
    OPEN = (Status.PENDING, Status.FAILED)
    # Paid for (a refund keeps the order paid-for; its amount tells how much came back).
    SETTLED = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CHECKOUT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Minor units of `currency`: the course's price, the coupon's discount, what is charged.
    list_amount = models.PositiveIntegerField()
    discount_amount = models.PositiveIntegerField(default=0)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    coupon = models.ForeignKey(
        Coupon, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    amount_refunded = models.PositiveIntegerField(default=0)
    # The current checkout attempt: its idempotency key goes to Stripe with the create call.
    attempt = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=80, unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stripe_checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.CharField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_client_secret = models.CharField(max_length=255, blank=True)
    # The payment that settled the order (a second success is a duplicate to refund).
    paid_payment_intent_id = models.CharField(max_length=255, blank=True)
    paid_amount = models.PositiveIntegerField(null=True, blank=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Flagged orders never enroll by themselves: amount mismatch, duplicate payment,
    # dispute, an enrollment the service refused. Staff look at them in the admin.
    needs_review = models.BooleanField(default=False)
    review_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("refund_order", "Can refund orders")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="payments_order_user_created"),
            models.Index(fields=["course", "status"], name="payments_order_course_status"),
            models.Index(fields=["status", "-created_at"], name="payments_order_status_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(status__in=["pending", "failed"]),
                name="payments_order_one_open_per_user_course",
            ),
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(status__in=["paid", "partially_refunded"]),
                name="payments_order_one_paid_per_user_course",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "paid",
                        "failed",
                        "refunded",
                        "partially_refunded",
                        "cancelled",
                    ]
                ),
                name="payments_order_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("list_amount") - F("discount_amount")),
                name="payments_order_amount_is_list_minus_discount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount")),
                name="payments_order_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk}"

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.amount_refunded


class CouponRedemption(models.Model):
    """A coupon held by an order. Made with the order (under the coupon's lock) and deleted
    when the order is cancelled, so abandoned checkouts give their redemption back."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="redemption")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["coupon", "user"], name="payments_redemption_user")]

    def __str__(self) -> str:
        return f"{self.coupon_id} for order #{self.order_id}"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(max_length=120, unique=True)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=1), name="payments_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund #{self.pk} of order #{self.order_id}"


class StripeEvent(models.Model):
    """Each Stripe event once (unique id): a redelivery finds its row and changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    livemode = models.BooleanField(default=False)
    stripe_created = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    result = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["type", "-received_at"], name="payments_event_type")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
