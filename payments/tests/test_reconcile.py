"""reconcile_payments: with the webhook dropped it settles and enrolls; with a refund
made at Stripe only it revokes; a second run changes nothing."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enrollments.models import Enrollment
from enrollments.services import enrollment_drop
from lms.outbox.models import OutboxMessage
from lms.testing import client_for
from payments.models import Order
from payments.tests.conftest import make_paid_course
from payments.tests.factories import CouponFactory
from payments.tests.flows import pay_with_intent, sdk

pytestmark = pytest.mark.django_db


def reconcile(*args: str) -> str:
    out = StringIO()
    call_command("reconcile_payments", *args, stdout=out)
    return out.getvalue()


def test_dropped_webhook_intent_is_settled_and_enrolled_once(cast, course, stripe_on, localstripe):
    order = pay_with_intent(cast.student, course, localstripe, webhook=False)
    assert Order.objects.get(pk=order.pk).status == "pending"
    assert not Enrollment.objects.filter(user=cast.student, course=course).exists()

    first = reconcile("--since", "2d")
    order.refresh_from_db()
    assert order.status == "paid"
    enrollment = Enrollment.objects.get(user=cast.student, course=course)
    assert (enrollment.status, enrollment.source) == ("active", "paid")
    assert f"granted: order #{order.pk}" in first
    assert OutboxMessage.objects.filter(topic="payments.order_paid").count() == 1

    second = reconcile()
    assert "Changes: none" in second
    assert Enrollment.objects.filter(user=cast.student, course=course).count() == 1
    assert OutboxMessage.objects.filter(topic="payments.order_paid").count() == 1


def test_dropped_webhook_checkout_session_is_settled(cast, course, stripe_on):
    data = (
        client_for(cast.student)
        .post(f"/api/v1/courses/{course.slug}/checkout/", {}, format="json")
        .json()["data"]
    )
    order = Order.objects.get(pk=data["order"]["id"])
    stripe_on.complete(order.stripe_checkout_session_id)
    other = make_paid_course(cast)
    client_for(cast.other_student).post(
        f"/api/v1/courses/{other.slug}/checkout/", {}, format="json"
    )

    report = reconcile()
    order.refresh_from_db()
    assert order.status == "paid"
    assert Enrollment.objects.get(user=cast.student, course=course).status == "active"
    # The unpaid session of someone else changes nothing.
    assert not Enrollment.objects.filter(user=cast.other_student).exists()
    assert "Checked 2 checkout sessions" in report
    assert "Changes: none" in reconcile()


def test_refund_made_at_stripe_only_is_revoked(cast, course, stripe_on, localstripe):
    order = pay_with_intent(cast.student, course, localstripe)
    sdk(localstripe.url).v1.refunds.create(
        params={"payment_intent": order.paid_payment_intent_id}
    )  # from Stripe's dashboard; the charge.refunded webhook is lost

    report = reconcile()
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == ("refunded", 4900)
    assert Enrollment.objects.get(user=cast.student, course=course).status == "revoked"
    assert f"revoked: order #{order.pk}" in report
    assert "Changes: none" in reconcile()


def test_a_learner_who_dropped_after_paying_is_not_re_enrolled(cast, course, stripe_on):
    CouponFactory(code="ALL", percent_off=100)
    response = client_for(cast.student).post(
        f"/api/v1/courses/{course.slug}/checkout/", {"coupon": "ALL"}, format="json"
    )
    assert response.json()["data"]["enrolled"] is True
    enrollment_drop(enrollment=Enrollment.objects.get(user=cast.student, course=course))

    assert "Changes: none" in reconcile()
    assert Enrollment.objects.get(user=cast.student, course=course).status == "dropped"


def test_staff_grant_is_never_revoked_by_a_refund(cast, course, stripe_on, localstripe):
    order = pay_with_intent(cast.student, course, localstripe)
    Enrollment.objects.filter(user=cast.student, course=course).update(source="staff")
    response = client_for(cast.admin).post(
        f"/api/v1/orders/{order.pk}/refund/", {"reason": "x"}, format="json"
    )
    # The refund itself went through (else the seat would stay trivially).
    assert response.status_code == 201, response.content
    assert response.json()["data"]["order"]["status"] == "refunded"
    assert Enrollment.objects.get(user=cast.student, course=course).status == "active"


def test_bad_arguments_and_missing_configuration(stripe_off):
    with pytest.raises(CommandError, match="not configured"):
        reconcile()
    with pytest.raises(CommandError, match="--since"):
        reconcile("--since", "yesterday")


def test_beat_runs_the_reconciliation_hourly(cast, course, stripe_on, localstripe):
    from celery.schedules import crontab
    from django.conf import settings

    from lms.celery import app
    from payments.tasks import payments_reconcile_task

    entry = settings.CELERY_BEAT_SCHEDULE["payments-reconcile"]
    assert entry["task"] in app.tasks
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].hour == set(range(24)) and len(entry["schedule"].minute) == 1

    order = pay_with_intent(cast.student, course, localstripe, webhook=False)
    changes = payments_reconcile_task.apply().get()
    assert changes.get("granted") == 1
    assert Order.objects.get(pk=order.pk).status == "paid"
