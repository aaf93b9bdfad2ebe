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


def revenue_totals(*, user: Any, course_slug: str | None = None) -> list[dict[str, Any]]:
    """Per course, month and currency: paid orders, gross, refunded and net (minor units)
    of the courses the user may see. Refunded orders count in gross and refunded."""
    courses = Course.objects.filter(revenue_courses_q(user))
    if course_slug:
        courses = courses.filter(slug=course_slug)
    rows = (
        Order.objects.filter(course__in=courses, status__in=Order.SETTLED, paid_at__isnull=False)
        .annotate(month=TruncMonth("paid_at"))
        .values("course_id", "course__slug", "course__title", "month", "currency")
        .annotate(orders=Count("id"), gross=Sum("amount"), refunded=Sum("amount_refunded"))
        .order_by("-month", "course__slug", "currency")
    )
    return [
        {
            "course": {
                "id": r["course_id"],
                "slug": r["course__slug"],
                "title": r["course__title"],
            },
            "month": r["month"].date().isoformat()[:7] if r["month"] else None,
            "currency": r["currency"],
            "orders": r["orders"],
            "gross": r["gross"] or 0,
            "refunded": r["refunded"] or 0,
            "net": (r["gross"] or 0) - (r["refunded"] or 0),
        }
        for r in rows
    ]
