"""Every write of the payments app: `from payments.services import ...`.

Services take keyword-only arguments, validate, write in one transaction, and publish
receipts through the outbox. They check invariants, not permissions: callers ask
`payments.permissions` first. Refusals are `lms.errors.ServiceError` with the codes
declared in `payments/errors.py`.
"""

from payments.services.checkout import CheckoutResult, checkout_start, order_cancel
from payments.services.coupons import coupon_check, coupon_price
from payments.services.events import stripe_event_receive, stripe_webhook_receive
from payments.services.orders import derived_status, order_settle
from payments.services.reconcile import ReconcileReport, payments_reconcile
from payments.services.refunds import RefundResult, order_refund

__all__ = [
    "CheckoutResult",
    "ReconcileReport",
    "RefundResult",
    "checkout_start",
    "coupon_check",
    "coupon_price",
    "derived_status",
    "order_cancel",
    "order_refund",
    "order_settle",
    "payments_reconcile",
    "stripe_event_receive",
    "stripe_webhook_receive",
]
