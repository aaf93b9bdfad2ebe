"""A coupon limited to 5 redemptions under 30 concurrent checkouts (real PostgreSQL
transactions and row locks): exactly 5 orders get it, the others a clear 400."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from payments.models import CouponRedemption, Order
from payments.tests.conftest import as_client, make_paid_course
from payments.tests.factories import CouponFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_concurrent_checkouts_redeem_a_five_use_coupon_exactly_five_times(stripe_on):
    course = make_paid_course()
    coupon = CouponFactory(code="FIVE", percent_off=50, max_redemptions=5, max_per_user=1)
    clients = [as_client(UserFactory()) for _ in range(30)]
    url = f"/api/v1/courses/{course.slug}/checkout/"
    barrier = threading.Barrier(len(clients))

    def attempt(client):
        barrier.wait()
        try:
            response = client.post(url, {"coupon": "FIVE"}, format="json")
            return response.status_code, response.json().get("code")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        results = list(pool.map(attempt, clients))

    assert sorted(results, key=str).count((201, None)) == 5
    assert [r for r in results if r[0] != 201] == [(400, "coupon_exhausted")] * 25
    coupon.refresh_from_db()
    assert coupon.redeemed_count == 5
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 5
    assert Order.objects.filter(coupon=coupon).count() == 5
    assert Order.objects.count() == 5  # the refused checkouts stored nothing
