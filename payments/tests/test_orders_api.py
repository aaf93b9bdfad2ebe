"""Orders and revenue: the role matrix (the shared cast: anonymous, the student, another
student, a student outside the course, the course's owner, instructor and TA, another
instructor, admin), constant queries, totals, the one list contract."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from lms.testing import ROLES, client_for, unchanged
from payments.models import Order, Refund
from payments.tests.conftest import make_paid_course

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


# who sees the student's order (200) and who gets 404 (foreign)
RETRIEVE = {
    "anonymous": 401,
    "student": 200,
    "other_student": 404,
    "outsider": 404,
    "owner": 200,
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
    "outsider": 404,
    "owner": 403,
    "instructor": 403,
    "ta": 404,
    "other_instructor": 404,
    "admin": "ok",
}


@pytest.mark.parametrize("role", ROLES)
def test_order_retrieve_matrix(cast, course, role):
    order = paid_order(cast.student, course)
    response = client_for(cast.user(role)).get(f"/api/v1/orders/{order.pk}/")
    assert response.status_code == RETRIEVE[role]


@pytest.mark.parametrize("role", ROLES)
def test_order_refund_matrix(cast, course, role, stripe_off):
    order = paid_order(cast.student, course)
    with unchanged(order, counts=(Refund,)):
        response = client_for(cast.user(role)).post(
            f"/api/v1/orders/{order.pk}/refund/", {"reason": "matrix"}, format="json"
        )
    if REFUND[role] == "ok":
        # Allowed through; Stripe is switched off here, so the refund itself is refused.
        assert response.status_code == 503
        assert response.json()["code"] == "payments_not_configured"
    else:
        assert response.status_code == REFUND[role]


def test_refund_refuses_unknown_fields_by_name(cast, course, stripe_off):
    order = paid_order(cast.student, course)
    with unchanged(order, counts=(Refund,)):
        response = client_for(cast.admin).post(
            f"/api/v1/orders/{order.pk}/refund/", {"reason": "x", "amout": 100}, format="json"
        )
    assert response.status_code == 400
    assert [(e["attr"], e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("amout", "/amout", "unknown_field")
    ]


@pytest.mark.parametrize("role", ROLES)
def test_my_orders_lists_only_mine(cast, course, role):
    mine = paid_order(cast.student, course)
    response = client_for(cast.user(role)).get("/api/v1/orders/")
    if role == "anonymous":
        assert response.status_code == 401
        return
    ids = [row["id"] for row in response.json()["data"]]
    assert ids == ([mine.pk] if role == "student" else [])


def test_my_orders_follow_the_one_list_contract(cast, course):
    orders = [paid_order(cast.student, make_paid_course()) for _ in range(3)]
    response = client_for(cast.student).get("/api/v1/orders/", {"page_size": 2})
    body = response.json()
    assert body["meta"]["count"] == 3
    assert body["meta"]["page_size"] == 2
    assert body["meta"]["previous"] is None
    assert "page=2" in body["meta"]["next"]
    assert [row["id"] for row in body["data"]] == [orders[2].pk, orders[1].pk]
    row = body["data"][0]
    assert row["created_at"].endswith("Z") and row["paid_at"].endswith("Z")
    assert row["refunded_at"] is None
    rest = client_for(cast.student).get(body["meta"]["next"]).json()
    assert [row["id"] for row in rest["data"]] == [orders[0].pk]
    assert rest["meta"]["next"] is None


REVENUE = {
    "anonymous": 401,
    "student": 403,
    "other_student": 403,
    "outsider": 403,
    "owner": "own",
    "instructor": "own",
    "ta": 403,
    "other_instructor": "none",
    "admin": "all",
}


@pytest.mark.parametrize("role", ROLES)
def test_revenue_matrix(cast, course, role):
    other = make_paid_course(price=1000)  # not this team's
    paid_order(cast.student, course)
    paid_order(cast.other_student, course, refunded=900)
    paid_order(cast.student, other)
    response = client_for(cast.user(role)).get("/api/v1/payments/revenue/")
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


def test_revenue_paginates_with_the_one_list_meta(cast):
    courses = [make_paid_course(cast, price=1000 * (n + 1)) for n in range(3)]
    for course in courses:
        paid_order(cast.student, course)
    client = client_for(cast.owner)
    first = client.get("/api/v1/payments/revenue/", {"page_size": 2}).json()
    assert first["meta"]["count"] == 3
    assert first["meta"]["page_size"] == 2
    assert first["meta"]["previous"] is None
    second = client.get(first["meta"]["next"]).json()
    assert second["meta"]["next"] is None
    slugs = [row["course"]["slug"] for row in first["data"] + second["data"]]
    assert sorted(slugs) == sorted(course.slug for course in courses)
    only = client.get("/api/v1/payments/revenue/", {"course": courses[1].slug}).json()
    assert [(row["course"]["slug"], row["gross"]) for row in only["data"]] == [
        (courses[1].slug, 2000)
    ]


def test_my_orders_constant_queries(cast):
    def setup(n):
        user = UserFactory()
        for _ in range(n):
            paid_order(user, make_paid_course())
        return client_for(user)

    def count(client):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/orders/", {"page_size": 100})
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["data"])

    small, n_small = count(setup(3))
    large, n_large = count(setup(30))
    assert (n_small, n_large) == (3, 30)
    assert small == large


def test_revenue_constant_queries(cast):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client_for(cast.admin).get("/api/v1/payments/revenue/", {"page_size": 100})
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
