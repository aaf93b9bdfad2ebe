"""Refunds on localstripe: full revokes, partial keeps, repeats do not refund twice, the
charge.refunded webhook agrees with what the API recorded; receipts and audit."""

import pytest
from django.core import mail

from enrollments.models import Enrollment
from lms.audit.models import AuditLog
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_relay
from payments.models import Order, Refund
from payments.tests.conftest import as_client
from payments.tests.flows import charge_event, pay_with_intent, sdk
from payments.tests.stripe_servers import deliver

pytestmark = pytest.mark.django_db


def refund(user, order, headers=None, **body):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items()}
    return as_client(user).post(f"/api/v1/orders/{order.pk}/refund/", body, format="json", **extra)


def stripe_refunds(localstripe, order):
    return (
        sdk(localstripe.url)
        .v1.refunds.list(params={"payment_intent": order.paid_payment_intent_id})
        .data
    )


def test_full_refund_revokes_access_and_a_repeat_does_not_refund_twice(
    people, course, stripe_on, localstripe
):
    order = pay_with_intent(people.student, course, localstripe)
    assert Enrollment.objects.get(user=people.student, course=course).status == "active"

    response = refund(people.admin, order, reason="Asked within 14 days")
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["refund"]["amount"] == 4900
    assert data["refund"]["status"] == "succeeded"
    assert data["order"]["status"] == "refunded"
    enrollment = Enrollment.objects.get(user=people.student, course=course)
    assert enrollment.status == "revoked"

    again = refund(people.admin, order, reason="Asked within 14 days")
    assert again.status_code == 409
    assert again.json()["code"] == "not_refundable"
    assert len(stripe_refunds(localstripe, order)) == 1

    # Stripe's charge.refunded arrives: it reports the same total, nothing changes.
    assert deliver(as_client(None), charge_event(localstripe, order)).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == ("refunded", 4900)
    assert OutboxMessage.objects.filter(topic="payments.order_refunded").count() == 1
    actions = set(AuditLog.objects.filter(target_id=str(order.pk)).values_list("action", flat=True))
    assert {"order.paid", "order.refund_requested", "order.refunded"} <= actions
    assert AuditLog.objects.filter(
        action="enrollment.revoked", target_id=str(enrollment.pk)
    ).exists()

    mail.outbox.clear()
    outbox_relay()
    assert [m.subject for m in mail.outbox if "Refund" in m.subject] == [
        f"Refund for {course.title}"
    ]
    assert "49.00 USD" in next(m.body for m in mail.outbox if "Refund" in m.subject)


def test_partial_refund_keeps_access_and_the_same_key_refunds_once(
    people, course, stripe_on, localstripe
):
    order = pay_with_intent(people.student, course, localstripe)
    key = {"Idempotency-Key": "support-ticket-77"}
    first = refund(people.admin, order, headers=key, amount=1000, reason="Late start")
    second = refund(people.admin, order, headers=key, amount=1000, reason="Late start")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["data"]["refund"]["id"] == second.json()["data"]["refund"]["id"]
    assert len(stripe_refunds(localstripe, order)) == 1
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == ("partially_refunded", 1000)
    assert Enrollment.objects.get(user=people.student, course=course).status == "active"

    deliver(as_client(None), charge_event(localstripe, order))
    order.refresh_from_db()
    assert order.amount_refunded == 1000

    # The rest, then: full, access revoked.
    rest = refund(people.admin, order, reason="Changed mind")
    assert rest.json()["data"]["refund"]["amount"] == 3900
    order.refresh_from_db()
    assert order.status == "refunded"
    assert Enrollment.objects.get(user=people.student, course=course).status == "revoked"


def test_refund_amount_validation(people, course, stripe_on, localstripe):
    order = pay_with_intent(people.student, course, localstripe)
    for body in ({"amount": 0, "reason": "x"}, {"amount": 4901, "reason": "x"}, {"amount": 5}):
        response = refund(people.admin, order, **body)
        assert response.status_code == 400, body
        assert response["Content-Type"] == "application/problem+json"
    assert Refund.objects.count() == 0
    assert stripe_refunds(localstripe, order) == []


def test_full_refund_keeps_access_when_configured(people, course, stripe_on, localstripe, settings):
    settings.PAYMENTS_REVOKE_ON_FULL_REFUND = False
    order = pay_with_intent(people.student, course, localstripe)
    refund(people.admin, order, reason="Goodwill")
    assert Order.objects.get(pk=order.pk).status == "refunded"
    assert Enrollment.objects.get(user=people.student, course=course).status == "active"


def test_pending_order_is_not_refundable(people, course, stripe_on, localstripe):
    order = pay_with_intent(people.student, course, localstripe, webhook=False)
    response = refund(people.admin, order, reason="x")
    assert (response.status_code, response.json()["code"]) == (409, "not_refundable")


def test_support_desk_permission_may_refund_and_is_staff_alone_may_not(
    people, course, stripe_on, localstripe
):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    order = pay_with_intent(people.student, course, localstripe)
    people.instructor.is_staff = True  # instructors may hold admin access
    people.instructor.save()
    assert refund(people.instructor, order, amount=100, reason="x").status_code == 403
    support = UserFactory(is_staff=True)
    support.user_permissions.add(Permission.objects.get(codename="refund_order"))
    assert refund(support, order, amount=100, reason="Support").status_code == 201


def test_a_free_coupon_order_is_not_refundable(people, course, stripe_on):
    from payments.tests.factories import CouponFactory

    CouponFactory(code="GIFT", percent_off=100)
    data = (
        as_client(people.student)
        .post(f"/api/v1/courses/{course.slug}/checkout/", {"coupon": "GIFT"}, format="json")
        .json()["data"]
    )
    order = Order.objects.get(pk=data["order"]["id"])
    response = refund(people.admin, order, reason="x")
    assert (response.status_code, response.json()["code"]) == (409, "not_refundable")
