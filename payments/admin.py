"""Admin: orders (read-only, filters, totals by course and month, refund action), coupons
(editable), refunds and Stripe events (read-only). Writes go through the services."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from courses.models import Course
from lms.admin_base import ReadOnlyModelAdmin
from lms.errors import ServiceError
from payments import services
from payments.models import Coupon, Order, Refund, StripeEvent
from payments.money import format_amount
from payments.permissions import can_refund, revenue_courses_q
from payments.selectors import revenue_totals


@admin.register(Order)
class OrderAdmin(ReadOnlyModelAdmin):
    list_display = [
        "id",
        "user",
        "course",
        "status",
        "amount_shown",
        "refunded_shown",
        "coupon",
        "needs_review",
        "created_at",
        "paid_at",
    ]
    list_filter = [
        "status",
        "needs_review",
        "kind",
        "currency",
        ("paid_at", admin.DateFieldListFilter),
    ]
    search_fields = ["user__email", "course__slug", "course__title", "stripe_payment_intent_id"]
    list_select_related = ["user", "course", "coupon"]
    date_hierarchy = "created_at"
    actions = ["refund_in_full"]
    change_list_template = "admin/payments/order/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        # Instructors with admin access see their own courses' orders only.
        return super().get_queryset(request).filter(course__in=self._courses(request))

    def _courses(self, request: HttpRequest) -> QuerySet[Course]:
        return Course.objects.filter(revenue_courses_q(request.user))

    @admin.display(description="amount")
    def amount_shown(self, order: Order) -> str:
        return format_amount(order.amount, order.currency)

    @admin.display(description="refunded")
    def refunded_shown(self, order: Order) -> str:
        return format_amount(order.amount_refunded, order.currency)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        rows = revenue_totals(user=request.user)
        for row in rows:
            row["gross_shown"] = format_amount(row["gross"], row["currency"])
            row["net_shown"] = format_amount(row["net"], row["currency"])
        return super().changelist_view(request, {**(extra_context or {}), "totals": rows})

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not can_refund(request.user):
            actions.pop("refund_in_full", None)
        return actions

    @admin.action(description="Refund selected orders in full (Stripe)")
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset:
            try:
                services.order_refund(
                    order=order,
                    by=request.user,  # type: ignore[arg-type]
                    reason="Refunded from the admin",
                )
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{order}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"Refunded {done} order(s).", messages.SUCCESS)


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "kind",
        "percent_off",
        "amount_off",
        "currency",
        "course",
        "redeemed_count",
        "max_redemptions",
        "valid_until",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["code"]
    readonly_fields = ["redeemed_count", "created_at"]
    raw_id_fields = ["course"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Orders point at coupons; deactivate instead.
        return False


@admin.register(Refund)
class RefundAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "order", "amount", "status", "reason", "requested_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["order", "requested_by"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyModelAdmin):
    list_display = ["event_id", "type", "order", "result", "received_at"]
    list_filter = ["type", "result"]
    search_fields = ["event_id"]
