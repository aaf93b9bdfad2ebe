"""The admin: orders (filters, totals by course and month, the refund action, scoped
for staff instructors), coupons, refunds and events pages."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from payments.tests.factories import CouponFactory
from payments.tests.flows import pay_with_intent
from payments.tests.test_orders_api import paid_order

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_render_with_filters_and_totals(cast, course):
    order = paid_order(cast.student, course)
    CouponFactory()
    client = logged_in(cast.admin)
    for path in [
        "/admin/payments/order/",
        "/admin/payments/order/?status__exact=paid&needs_review__exact=0",
        f"/admin/payments/order/?q={cast.student.email}",
        f"/admin/payments/order/{order.pk}/change/",
        "/admin/payments/coupon/",
        "/admin/payments/coupon/add/",
        "/admin/payments/refund/",
        "/admin/payments/stripeevent/",
    ]:
        assert client.get(path).status_code == 200, path
    html = client.get("/admin/payments/order/").content.decode()
    assert 'id="payments-totals"' in html
    assert "49.00 USD" in html


def test_admin_access_alone_does_not_show_orders_or_the_refund_action(cast, course):
    paid_order(cast.student, course)
    cast.instructor.is_staff = True  # instructors may be given admin access
    cast.instructor.save()
    assert logged_in(cast.instructor).get("/admin/payments/order/").status_code == 403
    cast.instructor.user_permissions.add(Permission.objects.get(codename="view_order"))
    response = logged_in(cast.instructor).get("/admin/payments/order/")
    assert response.status_code == 200
    assert "refund_in_full" not in response.content.decode()


def test_refund_action(cast, course, stripe_on, localstripe):
    order = pay_with_intent(cast.student, course, localstripe)
    response = logged_in(cast.admin).post(
        "/admin/payments/order/",
        {"action": "refund_in_full", "_selected_action": [order.pk]},
        follow=True,
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == "refunded"
