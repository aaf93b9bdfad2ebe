"""Every call to Stripe goes through here, with the official `stripe` SDK.

The API base is configurable (`STRIPE_API_BASE`) so tests run against localstripe. The
one call localstripe lacks, creating (and listing) Checkout Sessions, has its own base
(`STRIPE_CHECKOUT_API_BASE`, by default the same), which tests point at a loopback fake.
Errors from Stripe surface as `GatewayError` with a message safe to show staff.
"""

import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import stripe
from django.conf import settings


class GatewayError(Exception):
    """Stripe refused or could not be reached."""


class NotConfigured(GatewayError):
    """STRIPE_SECRET_KEY or STRIPE_WEBHOOK_SECRET is not set."""


class BadSignature(GatewayError):
    """A webhook whose Stripe-Signature is missing, wrong or outside the tolerance."""


class BadPayload(GatewayError):
    """A webhook body, correctly signed, that is not a Stripe event."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def _client(base: str | None = None) -> stripe.StripeClient:
    if not is_configured():
        raise NotConfigured("Payments are not configured.")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base or settings.STRIPE_API_BASE},
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except stripe.StripeError as exc:
        raise GatewayError(exc.user_message or str(exc) or type(exc).__name__) from exc


def checkout_session_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    """A Checkout Session (mode payment). Kept alone: localstripe has no Checkout."""
    client = _client(settings.STRIPE_CHECKOUT_API_BASE)
    return _call(
        client.v1.checkout.sessions.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    ).to_dict()


def checkout_sessions_since(since: datetime) -> Iterator[dict[str, Any]]:
    """Checkout Sessions created since `since`, newest first (Stripe lists newest first)."""
    client = _client(settings.STRIPE_CHECKOUT_API_BASE)
    page = _call(
        client.v1.checkout.sessions.list,
        params={"limit": 100, "created": {"gte": int(since.timestamp())}},
    )
    yield from _newer_than(page, since)


def payment_intent_create(*, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    return _call(
        _client().v1.payment_intents.create,
        params=params,
        options={"idempotency_key": idempotency_key},
    ).to_dict()


def payment_intents_since(since: datetime) -> Iterator[dict[str, Any]]:
    # No `created` filter: localstripe refuses it; _newer_than skips (and stops at) older ones.
    page = _call(_client().v1.payment_intents.list, params={"limit": 100})
    yield from _newer_than(page, since)


def charge_retrieve(charge_id: str) -> dict[str, Any]:
    return _call(_client().v1.charges.retrieve, charge_id).to_dict()


def refund_create(
    *, payment_intent_id: str, amount: int, metadata: dict[str, str], idempotency_key: str
) -> dict[str, Any]:
    return _call(
        _client().v1.refunds.create,
        params={"payment_intent": payment_intent_id, "amount": amount, "metadata": metadata},
        options={"idempotency_key": idempotency_key},
    ).to_dict()


# Stripe lists newest first: once this many older objects came in a row, the rest are older.
OLDER_IN_A_ROW_STOP = 200


def _newer_than(page: Any, since: datetime) -> Iterator[dict[str, Any]]:
    floor = int(since.timestamp())
    older = 0
    try:
        for obj in page.auto_paging_iter():
            data = obj.to_dict()
            if int(data.get("created") or 0) < floor:
                older += 1
                if older >= OLDER_IN_A_ROW_STOP:
                    return
                continue
            older = 0
            yield data
    except stripe.StripeError as exc:
        raise GatewayError(str(exc)) from exc


def event_verify(*, payload: bytes, signature: str) -> dict[str, Any]:
    """Verifies the Stripe-Signature header (secret and tolerance window) and returns the
    event. Raises NotConfigured, BadSignature or BadPayload.

    The SDK rejects timestamps older than the tolerance; a timestamp further in the
    future than the tolerance is refused here too (the window is two-sided)."""
    if not is_configured():
        raise NotConfigured("Payments are not configured.")
    if not signature:
        raise BadSignature("Missing Stripe-Signature.")
    try:
        _refuse_future_timestamp(signature)
        stripe.Webhook.construct_event(
            payload,
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise BadSignature("The signature does not match.") from exc
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Signed but not an event (bad JSON, missing members): Stripe never sends that.
        raise BadPayload("The body is not a Stripe event.") from exc
    if not isinstance(event, dict) or not event.get("id"):
        raise BadPayload("The body is not a Stripe event.")
    return event


def _refuse_future_timestamp(signature: str) -> None:
    for item in signature.split(","):
        key, _, value = item.strip().partition("=")
        too_late = time.time() + settings.STRIPE_WEBHOOK_TOLERANCE
        if key == "t" and value.isdigit() and int(value) > too_late:
            raise stripe.SignatureVerificationError(
                "Timestamp outside the tolerance zone", signature
            )
