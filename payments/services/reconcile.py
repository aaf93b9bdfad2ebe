"""Reconciliation: what Stripe knows against our orders and enrollments.

For the Checkout Sessions and PaymentIntents created since a moment, apply what the
webhooks would have applied (a dropped or delayed webhook is repaired), then walk the
recent settled orders and make each enrollment match its order (paid but not enrolled:
grant; refunded but enrolled: revoke). Each object is applied in its own transaction with
the order locked, through the same functions as the webhook, so running it twice changes
nothing the second time.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from lms.errors import ServiceError
from payments import stripe_gateway
from payments.models import Order
from payments.services.events import (
    charge_refunded_apply,
    intent_succeeded_apply,
    metadata_order_id,
    session_paid_apply,
)
from payments.services.orders import order_lock, order_settle

logger = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    sessions_seen: int = 0
    intents_seen: int = 0
    orders_checked: int = 0
    changes: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)

    def note(self, kind: str, order: Order | None, detail: str = "") -> None:
        self.changes[kind] += 1
        who = f"order #{order.pk}" if order is not None else "-"
        self.lines.append(f"{kind}: {who} {detail}".rstrip())

    @property
    def changed(self) -> int:
        return sum(self.changes.values())


def _snapshot(order_id: int) -> tuple[Any, ...] | None:
    return (
        Order.objects.filter(pk=order_id)
        .values_list("status", "amount_refunded", "needs_review", "paid_payment_intent_id")
        .first()
    )


def _apply(report: ReconcileReport, func: Any, obj: dict[str, Any], label: str) -> None:
    order_id = metadata_order_id(obj)
    before = _snapshot(order_id) if order_id is not None else None
    with transaction.atomic():
        order, outcome = func(obj)
    if order is None:
        return
    after = _snapshot(order.pk)
    if outcome in ("granted", "revoked"):
        report.note(outcome, order, f"({label} {obj.get('id')})")
    if before is not None and after != before:
        report.note("order_updated", order, f"{before[0]} -> {after[0] if after else '?'}")


def payments_reconcile(*, since: datetime) -> ReconcileReport:
    """Raises ServiceError `payments_not_configured`, or `stripe_error` when Stripe cannot
    be listed (what was applied before stays applied: each object is its own transaction)."""
    report = ReconcileReport()
    try:
        _reconcile_stripe(report, since)
    except stripe_gateway.NotConfigured as exc:
        raise ServiceError(
            "payments_not_configured", "Payments are not configured on this server."
        ) from exc
    except stripe_gateway.GatewayError as exc:
        raise ServiceError("stripe_error", f"Stripe could not be read: {exc}") from exc
    _reconcile_enrollments(report, since)
    logger.info("payments reconciled", extra={"changes": dict(report.changes)})
    return report


def _reconcile_stripe(report: ReconcileReport, since: datetime) -> None:
    for session in stripe_gateway.checkout_sessions_since(since):
        report.sessions_seen += 1
        if session.get("status") == "complete" and session.get("payment_status") == "paid":
            _apply(report, session_paid_apply, session, "session")
    for intent in stripe_gateway.payment_intents_since(since):
        report.intents_seen += 1
        if metadata_order_id(intent) is None or intent.get("status") != "succeeded":
            continue
        _apply(report, intent_succeeded_apply, intent, "intent")
        charge_id = intent.get("latest_charge")
        charge_id = charge_id.get("id") if isinstance(charge_id, dict) else charge_id
        if charge_id:
            charge = stripe_gateway.charge_retrieve(str(charge_id))
            if int(charge.get("amount_refunded") or 0) > 0:
                # The intent's metadata names our order: the charge handler finds it by that.
                charge["metadata"] = {
                    **(charge.get("metadata") or {}),
                    **intent.get("metadata", {}),
                }
                _apply(report, charge_refunded_apply, charge, "charge")


def _reconcile_enrollments(report: ReconcileReport, since: datetime) -> None:
    """Enrollments against orders (covers what Stripe listed and what it no longer lists)."""
    recent = Order.objects.filter(updated_at__gte=since, status__in=Order.SETTLED)
    for order_id in recent.values_list("pk", flat=True).order_by("pk"):
        report.orders_checked += 1
        with transaction.atomic():
            order = order_lock(order_id)
            if order is None:
                continue
            outcome = order_settle(order=order)
        if outcome:
            report.note(outcome, order, "(enrollment matched to order)")
