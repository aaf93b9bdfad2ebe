"""Checkout and intents endpoints: refusals (free, enrolled, full, closed, revoked,
unconfigured, unknown fields) that change nothing, order reuse, coupons (validity, limits,
100%), nothing half-written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enrollments.models import Enrollment
from enrollments.services import enrollment_create, enrollment_revoke
from lms.testing import client_for, unchanged
from payments.models import Coupon, CouponRedemption, Order
from payments.tests.conftest import make_paid_course
from payments.tests.factories import CouponFactory

pytestmark = pytest.mark.django_db


def checkout(user, course, **body):
    return client_for(user).post(f"/api/v1/courses/{course.slug}/checkout/", body, format="json")


def test_free_course_answers_409_with_a_pointer_to_enroll(cast, stripe_on):
    free = make_paid_course(cast, price=0)
    with unchanged(free, counts=(Order, Enrollment)):
        response = checkout(cast.student, free)
    assert response.status_code == 409
    assert response.json()["code"] == "course_is_free"
    assert response.json()["enroll"] == f"/api/v1/courses/{free.slug}/enroll/"


def test_enroll_on_a_paid_course_points_to_this_checkout_endpoint(cast, course, stripe_on):
    response = client_for(cast.student).post(f"/api/v1/courses/{course.slug}/enroll/")
    assert response.status_code == 402
    pointer = response.json()["checkout"]
    assert pointer == f"/api/v1/courses/{course.slug}/checkout/"
    assert client_for(cast.student).post(pointer, {}, format="json").status_code == 201


def test_already_enrolled_answers_409(cast, course, stripe_on):
    enrollment = enrollment_create(user=cast.student, course=course, source="staff", by=cast.owner)
    with unchanged(enrollment, course, counts=(Order, Enrollment)):
        response = checkout(cast.student, course)
    assert response.status_code == 409
    assert response.json()["code"] == "already_enrolled"


def test_revoked_learner_cannot_pay(cast, course, stripe_on):
    enrollment = enrollment_create(user=cast.student, course=course, source="staff")
    enrollment_revoke(enrollment=enrollment, by=cast.owner)
    with unchanged(enrollment, counts=(Order, Enrollment)):
        response = checkout(cast.student, course)
    assert response.status_code == 403
    assert response.json()["code"] == "enrollment_revoked"


def test_full_and_closed_courses_take_no_money(cast, stripe_on):
    full = make_paid_course(cast, capacity=1)
    enrollment_create(user=cast.other_student, course=full, source="staff")
    closed = make_paid_course(cast, enrollment_closes_at=timezone.now() - timedelta(days=1))
    archived = make_paid_course(cast, status="archived")
    with unchanged(full, closed, archived, counts=(Order, Enrollment)):
        response = checkout(cast.student, full)
        assert (response.status_code, response.json()["code"]) == (409, "course_full")
        response = checkout(cast.student, closed)
        assert (response.status_code, response.json()["code"]) == (403, "enrollment_closed")
        response = checkout(cast.student, archived)
        assert (response.status_code, response.json()["code"]) == (403, "course_archived")


def test_draft_course_is_404(cast, stripe_on):
    draft = make_paid_course(cast, published=False)
    with unchanged(draft, counts=(Order,)):
        assert checkout(cast.student, draft).status_code == 404
        # The team sees its draft, and still cannot buy a seat in it.
        response = checkout(cast.owner, draft)
        assert (response.status_code, response.json()["code"]) == (403, "course_not_published")


def test_without_stripe_keys_paid_courses_answer_503_and_free_still_enrolls(
    cast, course, stripe_off
):
    with unchanged(course, counts=(Order, Enrollment)):
        response = checkout(cast.student, course)
        intent = client_for(cast.student).post(
            "/api/v1/payments/intents/", {"course": course.slug}, format="json"
        )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "payments_not_configured"
    assert (intent.status_code, intent.json()["code"]) == (503, "payments_not_configured")
    free = make_paid_course(cast, price=0)
    assert client_for(cast.student).post(f"/api/v1/courses/{free.slug}/enroll/").status_code == 201


def test_anonymous_is_401(course, stripe_on):
    assert checkout(None, course).status_code == 401


def test_a_second_checkout_reuses_the_open_order_and_session(cast, course, stripe_on):
    first = checkout(cast.student, course)
    second = checkout(cast.student, course)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["data"]["order"]["id"] == second.json()["data"]["order"]["id"]
    assert first.json()["data"]["checkout_url"] == second.json()["data"]["checkout_url"]
    assert Order.objects.filter(user=cast.student, course=course).count() == 1


def test_an_expired_session_gets_a_new_attempt_with_a_new_idempotency_key(cast, course, stripe_on):
    first = checkout(cast.student, course).json()["data"]
    order = Order.objects.get(pk=first["order"]["id"])
    key = order.idempotency_key
    Order.objects.filter(pk=order.pk).update(checkout_expires_at=timezone.now())
    second = checkout(cast.student, course).json()["data"]
    order.refresh_from_db()
    assert second["order"]["id"] == order.pk
    assert order.attempt == 2
    assert order.idempotency_key != key
    assert second["checkout_url"] != first["checkout_url"]


def test_stripe_failure_is_502_and_stores_nothing(cast, course, stripe_on, settings):
    settings.STRIPE_CHECKOUT_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    coupon = CouponFactory(percent_off=10, max_redemptions=3)
    with unchanged(coupon, counts=(Order, CouponRedemption)):
        response = checkout(cast.student, course, coupon=coupon.code)
    assert response.status_code == 502
    assert response.json()["code"] == "stripe_error"


def test_percent_coupon_prices_the_order(cast, course, stripe_on):
    coupon = CouponFactory(code="Spring25", percent_off=25)
    response = checkout(cast.student, course, coupon="spring25")
    assert response.status_code == 201, response.content
    order = response.json()["data"]["order"]
    assert (order["list_amount"], order["discount_amount"], order["amount"]) == (4900, 1225, 3675)
    assert order["coupon"] == "Spring25"
    assert stripe_on.requests[-1]["form"]["line_items[0][price_data][unit_amount]"] == "3675"
    coupon.refresh_from_db()
    assert coupon.redeemed_count == 1


def test_zero_decimal_course_and_fixed_coupon(cast, stripe_on):
    course = make_paid_course(cast, price=5000, currency="JPY")
    CouponFactory(code="YEN", kind="amount", percent_off=None, amount_off=1200, currency="JPY")
    order = checkout(cast.student, course, coupon="YEN").json()["data"]["order"]
    assert (order["amount"], order["currency"], order["amount_display"]) == (
        3800,
        "JPY",
        "3800 JPY",
    )
    assert stripe_on.requests[-1]["form"]["line_items[0][price_data][currency]"] == "jpy"


@pytest.mark.parametrize(
    ("coupon_kwargs", "code"),
    [
        ({"is_active": False}, "coupon_unknown"),
        ({"valid_until": timezone.now() - timedelta(hours=1)}, "coupon_expired"),
        ({"valid_from": timezone.now() + timedelta(hours=1)}, "coupon_expired"),
        ({"max_redemptions": 0}, "coupon_exhausted"),
        (
            {"kind": "amount", "percent_off": None, "amount_off": 100, "currency": "EUR"},
            "coupon_not_applicable",
        ),
    ],
)
def test_invalid_coupons_are_400_and_store_nothing(cast, course, stripe_on, coupon_kwargs, code):
    coupon = CouponFactory(code="BAD", **coupon_kwargs)
    with unchanged(coupon, counts=(Order, CouponRedemption)):
        response = checkout(cast.student, course, coupon="BAD")
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_coupon_for_another_course_and_unknown_code(cast, course, stripe_on):
    other = make_paid_course(cast)
    coupon = CouponFactory(code="OTHER", course=other)
    with unchanged(coupon, counts=(Order, CouponRedemption)):
        response = checkout(cast.student, course, coupon="OTHER")
        assert (response.status_code, response.json()["code"]) == (400, "coupon_not_applicable")
        response = checkout(cast.student, course, coupon="NOPE")
        assert (response.status_code, response.json()["code"]) == (400, "coupon_unknown")


def test_per_user_limit(cast, stripe_on):
    coupon = CouponFactory(code="ONCE", percent_off=10, max_per_user=1)
    first, second = make_paid_course(cast), make_paid_course(cast)
    assert checkout(cast.student, first, coupon="ONCE").status_code == 201
    with unchanged(coupon, counts=(Order, CouponRedemption)):
        response = checkout(cast.student, second, coupon="ONCE")
    assert (response.status_code, response.json()["code"]) == (400, "coupon_used")
    # Re-checking out the same open order with the same coupon is not a second use.
    assert checkout(cast.student, first, coupon="ONCE").status_code == 200
    coupon.refresh_from_db()
    assert coupon.redeemed_count == 1


def test_changing_the_coupon_gives_the_old_redemption_back(cast, course, stripe_on):
    a = CouponFactory(code="A", percent_off=10)
    b = CouponFactory(code="B", percent_off=20)
    checkout(cast.student, course, coupon="A")
    order = checkout(cast.student, course, coupon="B").json()["data"]["order"]
    assert order["amount"] == 3920
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.redeemed_count, b.redeemed_count) == (0, 1)


def test_full_coupon_enrolls_without_stripe(cast, course, stripe_off):
    CouponFactory(code="FREE100", percent_off=100)
    response = checkout(cast.student, course, coupon="FREE100")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["enrolled"] is True
    assert data["checkout_url"] == ""
    assert data["order"]["status"] == "paid"
    assert data["order"]["kind"] == "free"
    enrollment = Enrollment.objects.get(user=cast.student, course=course)
    assert (enrollment.status, enrollment.source) == ("active", "paid")


def test_intent_endpoint_validates_input(cast, stripe_on):
    client = client_for(cast.student)
    response = client.post("/api/v1/payments/intents/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "course"
    assert (
        client.post(
            "/api/v1/payments/intents/", {"course": "no-such-course"}, format="json"
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("checkout", {"coupon": "", "promo": "X"}),
        ("/api/v1/payments/intents/", {"course": "{slug}", "promo": "X"}),
    ],
)
def test_unknown_fields_are_refused_by_name_and_store_nothing(cast, course, stripe_on, url, body):
    url = f"/api/v1/courses/{course.slug}/checkout/" if url == "checkout" else url
    body = {key: value.format(slug=course.slug) for key, value in body.items()}
    with unchanged(course, counts=(Order, CouponRedemption)):
        response = client_for(cast.student).post(url, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "attr": "promo",
            "pointer": "/promo",
            "code": "unknown_field",
            "detail": "This field is not accepted here.",
        }
    ]
    assert stripe_on.requests == []


def test_coupon_model_constraints_hold_in_the_database(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.create(code="X1", kind="percent", percent_off=None, amount_off=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.create(
            code="X2", kind="percent", percent_off=10, max_redemptions=1, redeemed_count=2
        )
    Coupon.objects.create(code="dup", kind="percent", percent_off=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coupon.objects.create(code="DUP", kind="percent", percent_off=10)
