"""The payments API under /api/v1/ (registered on the shared router, plus paths)."""

from django.urls import URLPattern, path

from lms.api.routers import api_router
from payments.api import views

api_router.register("orders", views.OrderViewSet, basename="order")

urlpatterns: list[URLPattern] = [
    path(
        "courses/<slug:course_slug>/checkout/",
        views.CourseCheckoutView.as_view(),
        name="course-checkout",
    ),
    path("payments/intents/", views.PaymentIntentView.as_view(), name="payment-intents"),
    path("payments/stripe/webhook/", views.StripeWebhookView.as_view(), name="payments-webhook"),
    path("payments/revenue/", views.RevenueView.as_view(), name="payments-revenue"),
]
