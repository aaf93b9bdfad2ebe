"""Races at checkout on real PostgreSQL transactions and row locks, made deterministic by
holding every thread at the checkout's race point (between its checks and its writes):
a coupon limited to 5 redemptions under 30 checkouts is redeemed exactly 5 times, and one
learner's parallel checkouts of one course make one order."""

import pytest

from accounts.tests.factories import UserFactory
from lms.testing import client_for, run_together
from payments.models import CouponRedemption, Order
from payments.tests.conftest import make_paid_course
from payments.tests.factories import CouponFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACE_POINT = "payments.checkout_checked"


def post_checkout(client, url, body):
    def call():
        response = client.post(url, body, format="json")
        return response.status_code, response.json().get("code")

    return call


def test_thirty_concurrent_checkouts_redeem_a_five_use_coupon_exactly_five_times(stripe_on):
    course = make_paid_course()
    coupon = CouponFactory(code="FIVE", percent_off=50, max_redemptions=5, max_per_user=1)
    url = f"/api/v1/courses/{course.slug}/checkout/"
    calls = [post_checkout(client_for(UserFactory()), url, {"coupon": "FIVE"}) for _ in range(30)]

    results = run_together(calls, hold_at=RACE_POINT, hold_seconds=1.0)

    assert results.count((201, None)) == 5
    assert [r for r in results if r[0] != 201] == [(400, "coupon_exhausted")] * 25
    coupon.refresh_from_db()
    assert coupon.redeemed_count == 5
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 5
    assert Order.objects.filter(coupon=coupon).count() == 5
    assert Order.objects.count() == 5  # the refused checkouts stored nothing


def test_one_learners_parallel_checkouts_share_one_order(stripe_on):
    course = make_paid_course()
    learner = UserFactory()
    url = f"/api/v1/courses/{course.slug}/checkout/"
    calls = [post_checkout(client_for(learner), url, {}) for _ in range(4)]

    results = run_together(calls, hold_at=RACE_POINT, hold_seconds=1.0)

    assert sorted(results) == [(200, None)] * 3 + [(201, None)]
    assert Order.objects.filter(user=learner, course=course).count() == 1
