"""Outbox handlers of the payments topics (receipts on `emails`) and the hourly
reconciliation (beat). Handlers reload by id and send nothing that no longer applies."""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.utils import timezone

from accounts.emails import email_send
from lms.links import link
from lms.outbox.handlers import outbox_handler
from payments import stripe_gateway
from payments.models import Order
from payments.money import format_amount
from payments.services import payments_reconcile

logger = logging.getLogger(__name__)


def _order(payload: dict[str, Any]) -> Order | None:
    order = Order.objects.select_related("user", "course").filter(pk=payload["order_id"]).first()
    if order is None or not order.user.is_active:
        return None
    return order


def _send(order: Order, name: str, message_id: int, **extra: Any) -> None:
    email_send(
        template_dir="payments/email",
        user=order.user,
        name=name,
        context={
            "order": order,
            "course": order.course,
            "amount": format_amount(order.amount, order.currency),
            "discount": format_amount(order.discount_amount, order.currency),
            "course_url": link("course", slug=order.course.slug),
            **extra,
        },
        message_id=message_id,
    )


@outbox_handler("payments.order_paid", queue="emails")
def send_payment_receipt(message_id: int, payload: dict[str, Any]) -> None:
    order = _order(payload)
    if order is not None and order.paid_at is not None:
        _send(order, "receipt_paid", message_id)


@outbox_handler("payments.order_refunded", queue="emails")
def send_refund_receipt(message_id: int, payload: dict[str, Any]) -> None:
    order = _order(payload)
    if order is not None:
        refunded = format_amount(int(payload.get("amount") or 0), order.currency)
        _send(order, "receipt_refunded", message_id, refunded=refunded)


@shared_task(
    name="payments.tasks.payments_reconcile_task",
    acks_late=True,
    time_limit=1800,
    soft_time_limit=1700,
)
def payments_reconcile_task(hours: int = 48) -> dict[str, int]:
    """Hourly (beat): safe to overlap or repeat, every step is idempotent."""
    if not stripe_gateway.is_configured():
        return {}
    report = payments_reconcile(since=timezone.now() - timedelta(hours=hours))
    return dict(report.changes)
