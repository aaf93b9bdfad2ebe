"""manage.py reconcile_payments [--since 2d]: repair orders and enrollments from Stripe."""

import re
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lms.errors import ServiceError
from payments import stripe_gateway
from payments.services import payments_reconcile

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if match is None or int(match.group(1)) == 0:
        raise CommandError(f"--since takes an age such as 30m, 12h, 2d or 1w, not {text!r}")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Compare recent Stripe Checkout Sessions and PaymentIntents with orders and "
        "enrollments; settle paid orders, grant missing paid enrollments, revoke refunded "
        "ones. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="2d", help="How far back: 30m, 12h, 2d, 1w.")

    def handle(self, *args: Any, **options: Any) -> None:
        age = parse_since(options["since"])
        if not stripe_gateway.is_configured():
            raise CommandError("Payments are not configured (STRIPE_SECRET_KEY, ...).")
        try:
            report = payments_reconcile(since=timezone.now() - age)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Checked {report.sessions_seen} checkout sessions, {report.intents_seen} "
            f"payment intents, {report.orders_checked} orders."
        )
        for line in report.lines:
            self.stdout.write(f"  {line}")
        summary = ", ".join(f"{k}={v}" for k, v in sorted(report.changes.items()))
        self.stdout.write(f"Changes: {summary or 'none'}")
