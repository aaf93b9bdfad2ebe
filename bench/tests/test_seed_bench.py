"""seed_bench --scale smoke: row counts, the skew, rollups equal to a from-scratch
computation, and orders consistent with their enrollments, prices and Stripe events. The
from-scratch numbers come from the ORM over the loaded rows and
the progress rule written out here (floor percent of required lessons done), independently
of the seed's SQL and of the production code."""

import io
import json
import math
import time
from collections import Counter
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
import stripe
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max
from django.test import Client

from accounts.models import User
from bench.runner.server import BENCH_STRIPE_WEBHOOK_SECRET, STRIPE_ENVIRONMENT
from bench.seed import BENCH_PASSWORD, CHECKOUT_LIFETIME, SCALES
from courses.models import Course, CourseStaff, Lesson, Module
from enrollments.models import Enrollment, LessonCompletion
from payments.models import Order, StripeEvent
from payments.services import checkout as payments_checkout
from payments.services import stripe_event_receive
from payments.services.orders import derived_status

# The seed runs inside the test's transaction (TRUNCATE and COPY are transactional in
# PostgreSQL), so each test rolls it back instead of flushing the database.
pytestmark = pytest.mark.django_db

SMOKE = SCALES["smoke"]


@pytest.fixture
def seeded() -> None:
    call_command("seed_bench", "--scale", "smoke", stdout=io.StringIO())


@pytest.mark.postgres
def test_row_counts(seeded: None) -> None:
    assert User.objects.count() == SMOKE.users
    assert User.objects.filter(role="instructor").count() == SMOKE.instructors
    assert not User.objects.exclude(email__endswith="@bench.test").exists()
    assert Course.objects.count() == SMOKE.courses
    assert Course.objects.filter(status="published").count() == SMOKE.courses * 8 // 10
    assert Module.objects.count() == SMOKE.courses * 4
    assert Lesson.objects.count() == SMOKE.courses * 20
    per_course = Lesson.objects.values("module__course").annotate(n=Count("id"))
    assert {row["n"] for row in per_course} == {20}
    assert CourseStaff.objects.filter(role="owner").count() == SMOKE.courses
    assert Enrollment.objects.count() == SMOKE.enrollments
    assert LessonCompletion.objects.count() == SMOKE.completions
    # Learners only enrol in published courses; search vectors are filled.
    assert not Enrollment.objects.exclude(course__status="published").exists()
    assert not Course.objects.filter(search_vector__isnull=True).exists()


@pytest.mark.postgres
def test_every_user_shares_the_documented_password(seeded: None) -> None:
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert check_password(BENCH_PASSWORD, hashes.pop())


@pytest.mark.postgres
def test_skew_top_courses_hold_the_most_learners(seeded: None) -> None:
    learners = Counter(Enrollment.objects.values_list("course_id", flat=True))
    ranked = [n for _, n in learners.most_common()]
    hot, rest = ranked[: SMOKE.hot_courses], ranked[SMOKE.hot_courses :]
    assert all(n >= SMOKE.hot_min_learners for n in hot)
    assert all(n < SMOKE.hot_min_learners for n in rest)
    assert min(hot) > max(rest)


def expected_percent(done: int, required: int) -> int:
    """The progress rule, written out rather than imported (an oracle must not be the code
    under test): the share of required lessons done, rounded down to a whole percent; 0
    for a course without required lessons."""
    return math.floor(100 * Fraction(done, required)) if required else 0


def test_expected_percent_is_the_documented_rule() -> None:
    assert [expected_percent(done, 19) for done in (0, 1, 18, 19)] == [0, 5, 94, 100]
    assert expected_percent(0, 0) == 0


@pytest.mark.postgres
def test_rollups_equal_a_from_scratch_computation(seeded: None) -> None:
    required = Counter(
        Lesson.objects.filter(required_for_completion=True).values_list(
            "module__course_id", flat=True
        )
    )
    assert set(required.values()) == {19}  # one optional lesson per course
    done = Counter(
        LessonCompletion.objects.filter(lesson__required_for_completion=True).values_list(
            "enrollment_id", flat=True
        )
    )
    last = dict(
        LessonCompletion.objects.values("enrollment_id")
        .annotate(last=Max("completed_at"))
        .values_list("enrollment_id", "last")
    )
    # Completions belong to lessons of the enrollment's own course.
    assert not LessonCompletion.objects.exclude(
        lesson__module__course_id=F("enrollment__course_id")
    ).exists()

    statuses: Counter[str] = Counter()
    for e in Enrollment.objects.all():
        total = required[e.course_id]
        expected = expected_percent(done[e.id], total)
        assert (e.completed_count, e.required_total, e.percent) == (done[e.id], total, expected)
        assert 0 <= e.percent <= 100
        if expected == 100 and e.status != "dropped":
            assert e.status == "completed"
            assert e.completed_at == last[e.id]
        else:
            assert e.status in ("active", "dropped")
        statuses[e.status] += 1
    # The shape has every status the seed writes.
    assert statuses["active"] and statuses["completed"] and statuses["dropped"]

    seated = Counter(
        Enrollment.objects.filter(status__in=["active", "completed"]).values_list(
            "course_id", flat=True
        )
    )
    for course_id, count in Course.objects.values_list("id", "enrollment_count"):
        assert count == seated[course_id]


@pytest.mark.postgres
def test_deterministic_and_sequences_follow_the_data(seeded: None) -> None:
    first = list(Enrollment.objects.order_by("id").values_list("user_id", "course_id", "percent"))
    call_command("seed_bench", "--scale", "smoke", stdout=io.StringIO())
    again = list(Enrollment.objects.order_by("id").values_list("user_id", "course_id", "percent"))
    assert first == again
    # A row created afterwards gets the next id, not a collision.
    user = User.objects.create_user("late@bench.test", "x")
    assert user.pk == SMOKE.users + 1


@pytest.mark.postgres
def test_refuses_a_database_with_non_bench_data() -> None:
    User.objects.create_user("someone@example.com", "x")
    with pytest.raises(CommandError, match="non-bench data"):
        call_command("seed_bench", "--scale", "smoke")
    assert User.objects.filter(email="someone@example.com").exists()

    call_command("seed_bench", "--scale", "smoke", "--force", stdout=io.StringIO())
    assert not User.objects.filter(email="someone@example.com").exists()
    assert User.objects.count() == SMOKE.users


SETTLED = ("paid", "refunded")


@pytest.mark.postgres
def test_orders_one_settled_per_paid_course_enrollment_and_a_few_open(seeded: None) -> None:
    enrollments = list(Enrollment.objects.values("user_id", "course_id", "status", "source"))
    prices = dict(Course.objects.values_list("id", "price_amount"))
    settled = Counter(
        Order.objects.filter(status__in=SETTLED).values_list("user_id", "course_id", "status")
    )
    paid_course = [e for e in enrollments if prices[e["course_id"]] > 0]
    assert paid_course and len(paid_course) < len(enrollments)  # both kinds of course
    # The source tells which: paid courses were paid for, free ones self-enrolled.
    assert {e["source"] for e in paid_course} == {"paid"}
    assert {e["source"] for e in enrollments if prices[e["course_id"]] == 0} == {"self"}
    # Exactly one settled order per paid-course enrollment, none elsewhere: paid for every
    # seated learner, paid or refunded for the dropped ones.
    assert sum(settled.values()) == len(paid_course)
    statuses: Counter[str] = Counter()
    for e in paid_course:
        key = (e["user_id"], e["course_id"])
        (status,) = [s for s in SETTLED if settled[(*key, s)] == 1]
        assert status == "paid" or e["status"] == "dropped"
        statuses[status] += 1
    assert statuses["paid"] and statuses["refunded"]

    by_status = Counter(Order.objects.values_list("status", flat=True))
    assert by_status == {
        "paid": statuses["paid"],
        "refunded": statuses["refunded"],
        "pending": SMOKE.pending_orders,
        "failed": SMOKE.failed_orders,
    }
    # Open orders: mobile checkouts of published paid courses by learners not enrolled.
    enrolled = {(e["user_id"], e["course_id"]) for e in enrollments}
    for order in Order.objects.filter(status__in=["pending", "failed"]).select_related("course"):
        assert order.kind == "intent" and order.stripe_client_secret.startswith("pi_")
        assert order.course.status == "published" and order.course.price_amount > 0
        assert (order.user_id, order.course_id) not in enrolled
        assert order.amount == order.course.price_amount
        assert (order.failed_at is not None) == (order.status == "failed")
        assert order.paid_at is None
    assert StripeEvent.objects.count() == (
        sum(statuses.values()) + statuses["refunded"] + SMOKE.failed_orders
    )


@pytest.mark.postgres
def test_each_settled_order_matches_its_enrollment_price_and_events(seeded: None) -> None:
    assert CHECKOUT_LIFETIME == payments_checkout.CHECKOUT_LIFETIME
    seats = {(e.user_id, e.course_id): e for e in Enrollment.objects.all()}
    events: dict[int, dict[str, dict[str, Any]]] = {}
    for row in StripeEvent.objects.all():
        assert row.order_id is not None
        assert row.event_id == row.payload["id"] and row.type == row.payload["type"]
        events.setdefault(row.order_id, {})[row.type] = row.payload["data"]["object"]
    orders = list(Order.objects.select_related("course"))
    assert len({o.public_id for o in orders}) == len(orders)
    for order in orders:
        # The status is the one the payments services derive from the facts.
        assert order.status == derived_status(order)
        assert order.idempotency_key == f"order-{order.public_id}-1"
        assert (order.list_amount, order.discount_amount) == (order.course.price_amount, 0)
        assert order.amount == order.course.price_amount > 0
        assert order.currency == order.course.currency
        assert order.stripe_payment_intent_id.startswith("pi_")
        assert not order.needs_review and order.coupon_id is None
        metadata = _metadata(order)
        if order.status not in SETTLED:
            continue
        seat = seats[(order.user_id, order.course_id)]
        assert order.kind == "checkout" and order.stripe_checkout_session_id.startswith("cs_test_")
        assert order.checkout_expires_at == order.created_at + CHECKOUT_LIFETIME
        assert order.paid_at is not None
        assert order.created_at < order.paid_at < seat.enrolled_at
        assert seat.enrolled_at - order.paid_at < timedelta(seconds=5)
        assert order.paid_amount == order.amount
        assert order.paid_payment_intent_id == order.stripe_payment_intent_id
        session = events[order.pk]["checkout.session.completed"]
        assert session["id"] == order.stripe_checkout_session_id
        assert session["payment_status"] == "paid"
        assert (session["amount_total"], session["currency"]) == (order.amount, "usd")
        assert session["payment_intent"] == order.paid_payment_intent_id
        assert session["metadata"] == metadata
        if order.status == "refunded":
            assert seat.dropped_at is not None and order.refunded_at is not None
            assert order.amount_refunded == order.amount
            assert seat.dropped_at < order.refunded_at
            charge = events[order.pk]["charge.refunded"]
            assert charge["amount_refunded"] == order.amount
            assert charge["payment_intent"] == order.paid_payment_intent_id
        else:
            assert order.amount_refunded == 0 and order.refunded_at is None
            assert set(events[order.pk]) == {"checkout.session.completed"}
    for order in Order.objects.filter(status="failed"):
        intent = events[order.pk]["payment_intent.payment_failed"]
        assert intent["id"] == order.stripe_payment_intent_id
        assert intent["metadata"] == _metadata(order)
    assert not Order.objects.filter(status="pending", events__isnull=False).exists()


def _metadata(order: Order) -> dict[str, str]:
    """What payments.services.checkout puts in Stripe metadata."""
    return {"order_id": str(order.pk), "order_public_id": str(order.public_id), "attempt": "1"}


def _snapshot(order: Order) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    row = Order.objects.filter(pk=order.pk).values().get()
    row.pop("updated_at")  # saved again by the services
    seat = list(
        Enrollment.objects.filter(user_id=order.user_id, course_id=order.course_id).values_list(
            "status", "source"
        )
    )
    return row, seat


@pytest.mark.postgres
def test_seeded_events_are_processed_and_apply_to_consistent_orders(
    seeded: None, settings: Any
) -> None:
    """Redelivering a seeded event is a duplicate through the real webhook; the same event
    under a new id, applied by the payments services, changes no order or enrollment."""
    settings.STRIPE_SECRET_KEY = STRIPE_ENVIRONMENT["STRIPE_SECRET_KEY"]
    settings.STRIPE_WEBHOOK_SECRET = BENCH_STRIPE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = STRIPE_ENVIRONMENT["STRIPE_API_BASE"]
    client = Client()
    dropped = set(Enrollment.objects.filter(status="dropped").values_list("user_id", "course_id"))
    paid = list(Order.objects.filter(status="paid").order_by("id"))
    orders = [
        # A paid learner still seated, one who dropped after paying, a refund, a decline.
        next(o for o in paid if (o.user_id, o.course_id) not in dropped),
        next(o for o in paid if (o.user_id, o.course_id) in dropped),
        Order.objects.filter(status="refunded").order_by("id").first(),
        Order.objects.filter(status="failed").order_by("id").first(),
    ]
    for order in orders:
        assert order is not None
        before = _snapshot(order)
        for row in StripeEvent.objects.filter(order=order).order_by("id"):
            body = json.dumps(row.payload)
            header = stripe.WebhookSignature.generate_signature_header(
                body, BENCH_STRIPE_WEBHOOK_SECRET, timestamp=int(time.time())
            )
            response = client.post(
                "/api/v1/payments/stripe/webhook/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
            assert response.status_code == 200, response.content
            assert response.json()["data"] == {"received": True, "duplicate": True}
            fresh = stripe_event_receive(event={**row.payload, "id": f"{row.event_id}_again"})
            assert fresh is not None and fresh.result == "applied"
        assert _snapshot(order) == before
    assert StripeEvent.objects.filter(event_id__endswith="_again").count() == 5


def test_refuses_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "sqlite":  # on the embedded default this is the real thing
        monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("seed_bench", "--scale", "smoke")
