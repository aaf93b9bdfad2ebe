"""The paid courses' orders and the Stripe events they would have received, as rows
for COPY (see bench/README.md, Dataset)."""

import json
import random
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection

from bench.seed.common import CURRENCY, PAYMENTS_SEED, REFUNDED_SHARE_OF_DROPPED, Scale, SeedRefused


class PaidSeat(NamedTuple):
    """An enrollment in a paid course, as its order needs it."""

    user_id: int
    course_id: int
    enrolled_at: datetime
    dropped_at: datetime | None


ORDER_COLUMNS = [
    "id",
    "kind",
    "status",
    "list_amount",
    "discount_amount",
    "amount",
    "currency",
    "amount_refunded",
    "attempt",
    "idempotency_key",
    "public_id",
    "stripe_checkout_session_id",
    "checkout_url",
    "checkout_expires_at",
    "stripe_payment_intent_id",
    "stripe_client_secret",
    "paid_payment_intent_id",
    "paid_amount",
    "stripe_charge_id",
    "needs_review",
    "review_reason",
    "created_at",
    "updated_at",
    "paid_at",
    "failed_at",
    "refunded_at",
    "disputed_at",
    "cancelled_at",
    "coupon_id",
    "course_id",
    "user_id",
]
EVENT_COLUMNS = [
    "id",
    "event_id",
    "type",
    "livemode",
    "stripe_created",
    "payload",
    "result",
    "received_at",
    "order_id",
]
STRIPE_API_VERSION = "2025-01-27.acacia"
# payments.services.checkout.CHECKOUT_LIFETIME (the test checks they agree); not imported,
# so this module loads without the payments services.
CHECKOUT_LIFETIME = timedelta(minutes=30)


def stripe_id(prefix: str, n: int, salt: int) -> str:
    """A Stripe-shaped id: prefix, the salt digit, 23 hex digits; unique per (n, salt) and
    random-looking. For one salt the 92-bit mix is a bijection of n (odd multipliers and an
    xor-shift by at least half the width are invertible modulo 2**92)."""
    mask = 2**92 - 1
    x = ((n + (salt << 64)) * 0x9E3779B97F4A7C15F39CC061) & mask
    x = ((x ^ (x >> 47)) * 0xBF58476D1CE4E5B94D049BB1) & mask
    return f"{prefix}{salt}{x ^ (x >> 47):023x}"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class SeededOrder:
    """One order and its facts, as `payments.services` would have left them: the status
    is `payments.services.orders.derived_status` of the facts."""

    id: int
    user_id: int
    course_id: int
    kind: str  # checkout | intent
    amount: int
    public_id: uuid.UUID
    created_at: datetime
    paid_at: datetime | None = None
    failed_at: datetime | None = None
    refunded_at: datetime | None = None

    @property
    def status(self) -> str:
        if self.paid_at is not None:
            return "refunded" if self.refunded_at is not None else "paid"
        return "failed" if self.failed_at is not None else "pending"

    @property
    def session_id(self) -> str:
        return stripe_id("cs_test_b1", self.id, 1) if self.kind == "checkout" else ""

    @property
    def intent_id(self) -> str:
        return stripe_id("pi_3", self.id, 2)

    @property
    def metadata(self) -> dict[str, str]:
        return {"order_id": str(self.id), "order_public_id": str(self.public_id), "attempt": "1"}

    def row(self) -> tuple[Any, ...]:
        checkout = self.kind == "checkout"
        paid = self.paid_at is not None
        return (
            self.id,
            self.kind,
            self.status,
            self.amount,
            0,
            self.amount,
            CURRENCY,
            self.amount if self.refunded_at else 0,
            1,
            f"order-{self.public_id}-1",
            self.public_id,
            self.session_id,
            f"https://checkout.stripe.com/c/pay/{self.session_id}" if checkout else "",
            self.created_at + CHECKOUT_LIFETIME if checkout else None,
            self.intent_id,
            "" if checkout else f"{self.intent_id}_secret_{stripe_id('', self.id, 3)}",
            self.intent_id if paid else "",
            self.amount if paid else None,
            "",
            False,
            "",
            self.created_at,
            self.refunded_at or self.paid_at or self.failed_at or self.created_at,
            self.paid_at,
            self.failed_at,
            self.refunded_at,
            None,
            None,
            None,
            self.course_id,
            self.user_id,
        )

    def events(self) -> Iterator[tuple[Any, ...]]:
        """(event id, type, livemode, created, payload JSON, result, received, order id) of
        each Stripe event this order received, with the result the webhook recorded."""
        if self.paid_at is not None:
            session = {
                "id": self.session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "complete",
                "payment_status": "paid",
                "amount_subtotal": self.amount,
                "amount_total": self.amount,
                "currency": CURRENCY.lower(),
                "client_reference_id": str(self.id),
                "metadata": self.metadata,
                "payment_intent": self.intent_id,
                "created": _epoch(self.created_at),
                "expires_at": _epoch(self.created_at + CHECKOUT_LIFETIME),
                "livemode": False,
                "url": None,
            }
            yield self._event(1, "checkout.session.completed", session, self.paid_at, "granted")
        if self.refunded_at is not None:
            charge = {
                "id": stripe_id("ch_3", self.id, 4),
                "object": "charge",
                "amount": self.amount,
                "amount_captured": self.amount,
                "amount_refunded": self.amount,
                "currency": CURRENCY.lower(),
                "paid": True,
                "refunded": True,
                "payment_intent": self.intent_id,
                "metadata": self.metadata,
                "created": _epoch(self.paid_at or self.created_at),
            }
            # The learner had dropped already: nothing to revoke.
            yield self._event(2, "charge.refunded", charge, self.refunded_at, "applied")
        if self.failed_at is not None:
            intent = {
                "id": self.intent_id,
                "object": "payment_intent",
                "amount": self.amount,
                "currency": CURRENCY.lower(),
                "status": "requires_payment_method",
                "metadata": self.metadata,
                "last_payment_error": {"type": "card_error", "code": "card_declined"},
                "created": _epoch(self.created_at),
            }
            yield self._event(3, "payment_intent.payment_failed", intent, self.failed_at, "applied")

    def _event(
        self, salt: int, type_: str, obj: dict[str, Any], at: datetime, result: str
    ) -> tuple[Any, ...]:
        created = at - timedelta(seconds=1)
        payload = {
            "id": stripe_id("evt_1", self.id, salt),
            "object": "event",
            "api_version": STRIPE_API_VERSION,
            "created": _epoch(created),
            "livemode": False,
            "pending_webhooks": 1,
            "type": type_,
            "data": {"object": obj},
        }
        return (payload["id"], type_, False, created, json.dumps(payload), result, at, self.id)


def paid_orders(seats: Sequence[PaidSeat], course_price: dict[int, int]) -> Iterator[SeededOrder]:
    """Ids 1..len(seats) in enrollment order. The learner started checkout 1-15 minutes
    before enrolling; the webhook recorded the payment (paid_at) and then enrolled them.
    Dropped learners were refunded in full (REFUNDED_SHARE_OF_DROPPED) 1-72 h after
    dropping. Called twice (orders, then events): its own seeded stream gives the same rows."""
    rng = random.Random(PAYMENTS_SEED)  # noqa: S311 (reproducible data, not secrets)
    for oid, seat in enumerate(seats, start=1):
        refunded = seat.dropped_at is not None and rng.random() < REFUNDED_SHARE_OF_DROPPED
        yield SeededOrder(
            id=oid,
            user_id=seat.user_id,
            course_id=seat.course_id,
            kind="checkout",
            amount=course_price[seat.course_id],
            public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            created_at=seat.enrolled_at - timedelta(seconds=60 + rng.randrange(840)),
            paid_at=seat.enrolled_at - timedelta(milliseconds=20 + rng.randrange(2000)),
            refunded_at=(
                seat.dropped_at + timedelta(seconds=3600 + rng.randrange(71 * 3600))
                if refunded and seat.dropped_at is not None
                else None
            ),
        )


def open_order_pairs(
    scale: Scale, published: list[int], course_price: dict[int, int], out: list[tuple[int, int]]
) -> int:
    """(learner, paid published course) pairs without an enrollment, for the open orders:
    random pairs, filtered against the loaded enrollments. Fills `out`."""
    wanted = scale.pending_orders + scale.failed_orders
    paid_courses = [c for c in published if course_price[c] > 0]
    if not wanted or not paid_courses:
        return 0
    rng = random.Random(PAYMENTS_SEED + 1)  # noqa: S311 (reproducible data, not secrets)
    seen: set[tuple[int, int]] = set()
    while len(seen) < 4 * wanted:  # no course holds half the learners: most pairs are free
        seen.add((rng.randrange(scale.instructors + 1, scale.users + 1), rng.choice(paid_courses)))
    candidates = sorted(seen)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.u, t.c FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS t(u, c, n)"
            " WHERE NOT EXISTS (SELECT 1 FROM enrollments_enrollment e"
            "   WHERE e.user_id = t.u AND e.course_id = t.c)"
            " ORDER BY t.n LIMIT %s",
            [[u for u, _ in candidates], [c for _, c in candidates], wanted],
        )
        out[:] = [(int(u), int(c)) for u, c in cur.fetchall()]
    if len(out) < wanted:
        raise SeedRefused(f"Only {len(out)} free (learner, paid course) pairs for {wanted} orders.")
    return len(out)


def open_orders(
    scale: Scale,
    pairs: list[tuple[int, int]],
    course_price: dict[int, int],
    published_day: dict[int, int],
    days: list[datetime],
    *,
    first_id: int,
) -> Iterator[SeededOrder]:
    """Mobile checkouts (PaymentIntents) never confirmed (pending), then declined ones
    (failed, 1-10 minutes after they started)."""
    rng = random.Random(PAYMENTS_SEED + 2)  # noqa: S311 (reproducible data, not secrets)
    for index, (uid, cid) in enumerate(pairs):
        day = published_day[cid] + rng.randrange(150)
        created = days[day] + timedelta(seconds=rng.randrange(86_400))
        failed = index >= scale.pending_orders
        yield SeededOrder(
            id=first_id + index,
            user_id=uid,
            course_id=cid,
            kind="intent",
            amount=course_price[cid],
            public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            created_at=created,
            failed_at=created + timedelta(seconds=60 + rng.randrange(540)) if failed else None,
        )


def event_rows(orders: Iterable[SeededOrder]) -> Iterator[tuple[Any, ...]]:
    eid = 0
    for order in orders:
        for event in order.events():
            eid += 1
            yield (eid, *event)
