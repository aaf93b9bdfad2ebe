"""Reads of the payments app with their rules (visibility, totals)."""

from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404

from courses.models import Course
from payments.models import Order
from payments.permissions import revenue_courses_q, visible_orders_q


def order_list_mine(*, user: Any) -> QuerySet[Order]:
    return (
        Order.objects.filter(user_id=user.pk)
        .select_related("course", "coupon")
        .order_by("-created_at", "-id")
    )


def order_for_checkout_session(*, user: Any, session_id: str) -> Order | None:
    """The user's own order of a Checkout Session (the success page); None for others."""
    if not user.is_authenticated or not session_id:
        return None
    return (
        Order.objects.filter(user_id=user.pk, stripe_checkout_session_id=session_id)
        .select_related("course")
        .first()
    )


def order_get_visible(*, user: Any, order_id: int) -> Order:
    order = (
        Order.objects.filter(visible_orders_q(user), pk=order_id)
        .select_related("course", "coupon", "user")
        .first()
    )
    if order is None:
        raise Http404
    return order


def revenue_rows(*, user: Any, course_slug: str | None = None) -> QuerySet[Any]:
    """Per course, month and currency (newest month first): paid orders, gross and
    refunded (minor units) of the courses the user may see, as grouped rows for
    `revenue_row`. Refunded orders count in gross and refunded."""
    courses = Course.objects.filter(revenue_courses_q(user))
    if course_slug:
        courses = courses.filter(slug=course_slug)
    return (
        Order.objects.filter(course__in=courses, status__in=Order.SETTLED, paid_at__isnull=False)
        .annotate(month=TruncMonth("paid_at"))
        .values("course_id", "course__slug", "course__title", "month", "currency")
        .annotate(orders=Count("id"), gross=Sum("amount"), refunded=Sum("amount_refunded"))
        .order_by("-month", "course__slug", "currency")
    )


def revenue_row(row: dict[str, Any]) -> dict[str, Any]:
    gross, refunded = row["gross"] or 0, row["refunded"] or 0
    return {
        "course": {
            "id": row["course_id"],
            "slug": row["course__slug"],
            "title": row["course__title"],
        },
        "month": row["month"].strftime("%Y-%m") if row["month"] else None,
        "currency": row["currency"],
        "orders": row["orders"],
        "gross": gross,
        "refunded": refunded,
        "net": gross - refunded,
    }


def revenue_totals(*, user: Any, course_slug: str | None = None) -> list[dict[str, Any]]:
    """Every row of `revenue_rows`, shaped (the admin's totals above the order list)."""
    return [revenue_row(row) for row in revenue_rows(user=user, course_slug=course_slug)]
