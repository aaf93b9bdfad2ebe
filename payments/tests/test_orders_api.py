"""Orders and revenue: the role matrix (anonymous, student, another student, the course's
instructor and TA, another instructor, admin), constant queries, totals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from payments.models import Order
from payments.tests.conftest import ROLES, as_client, make_paid_course

pytestmark = pytest.mark.django_db


def paid_order(user, course, *, amount=None, refunded=0):
    amount = course.price_amount if amount is None else amount
    status = (
        "refunded"
        if refunded and refunded >= amount
        else ("partially_refunded" if refunded else "paid")
    )
    return Order.objects.create(
        user=user,
        course=course,
        status=status,
        list_amount=amount,
        amount=amount,
        currency=course.currency,
        amount_refunded=refunded,
        idempotency_key=f"k-{user.pk}-{course.pk}-{amount}-{refunded}",
        paid_at=timezone.now(),
        paid_payment_intent_id=f"pi_{user.pk}_{course.pk}",
    )


ROLES_WITH_TA = (*ROLES, "ta")
# who sees the student's order (200) and who gets 404 (foreign)
RETRIEVE = {
    "anonymous": 401,
    "student": 200,
    "other_student": 404,
    "instructor": 200,
    "ta": 404,
    "other_instructor": 404,
    "admin": 200,
}
# refund: only admins (and Django staff); those who can see it get 403
REFUND = {
    "anonymous": 401,
    "student": 403,
    "other_student": 404,
    "instructor": 403,
    "ta": 404,
    "other_instructor": 404,
    "admin": "ok",
}


@pytest.mark.parametrize("role", ROLES_WITH_TA)
def test_order_retrieve_matrix(people, course, role):
    order = paid_order(people.student, course)
    response = as_client(people.user(role)).get(f"/api/v1/orders/{order.pk}/")
    assert response.status_code == RETRIEVE[role]


@pytest.mark.parametrize("role", ROLES_WITH_TA)
def test_order_refund_matrix(people, course, role, stripe_off):
    order = paid_order(people.student, course)
    response = as_client(people.user(role)).post(
        f"/api/v1/orders/{order.pk}/refund/", {"reason": "matrix"}, format="json"
    )
    if REFUND[role] == "ok":
        # Allowed through; Stripe is switched off here, so the refund itself is refused.
        assert response.status_code == 503
        assert response.json()["code"] == "payments_not_configured"
    else:
        assert response.status_code == REFUND[role]
    order.refresh_from_db()
    assert (order.status, order.amount_refunded) == ("paid", 0)


@pytest.mark.parametrize("role", ROLES_WITH_TA)
def test_my_orders_lists_only_mine(people, course, role):
    mine = paid_order(people.student, course)
    response = as_client(people.user(role)).get("/api/v1/orders/")
    if role == "anonymous":
        assert response.status_code == 401
        return
    ids = [row["id"] for row in response.json()["data"]]
    assert ids == ([mine.pk] if role == "student" else [])


REVENUE = {
    "anonymous": 401,
    "student": 403,
    "other_student": 403,
    "instructor": "own",
    "ta": 403,
    "other_instructor": "none",
    "admin": "all",
}


@pytest.mark.parametrize("role", ROLES_WITH_TA)
def test_revenue_matrix(people, course, role):
    other = make_paid_course(price=1000)  # not this team's
    paid_order(people.student, course)
    paid_order(people.other_student, course, refunded=900)
    paid_order(people.student, other)
    response = as_client(people.user(role)).get("/api/v1/payments/revenue/")
    expected = REVENUE[role]
    if isinstance(expected, int):
        assert response.status_code == expected
        return
    rows = {row["course"]["slug"]: row for row in response.json()["data"]}
    if expected == "none":
        assert rows == {}
    elif expected == "own":
        assert set(rows) == {course.slug}
    else:
        assert set(rows) == {course.slug, other.slug}
    if expected in ("own", "all"):
        row = rows[course.slug]
        assert (row["orders"], row["gross"], row["refunded"], row["net"]) == (2, 9800, 900, 8900)
        assert row["month"] == timezone.now().strftime("%Y-%m")


def test_my_orders_constant_queries(people):
    def setup(n):
        user = UserFactory()
        for _ in range(n):
            paid_order(user, make_paid_course())
        return as_client(user)

    def count(client):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/orders/", {"page_size": 100})
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["data"])

    small, n_small = count(setup(3))
    large, n_large = count(setup(30))
    assert (n_small, n_large) == (3, 30)
    assert small == large


def test_revenue_constant_queries(people):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = as_client(people.admin).get("/api/v1/payments/revenue/")
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["data"])

    for _ in range(2):
        paid_order(UserFactory(), make_paid_course())
    small, rows_small = count()
    for _ in range(20):
        paid_order(UserFactory(), make_paid_course())
    large, rows_large = count()
    assert (rows_small, rows_large) == (2, 22)
    assert small == large
