"""The course page's buy action and the return pages of Stripe Checkout (included at the
site root by lms/urls.py)."""

from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("courses/<slug:slug>/buy/", views.buy, name="buy"),
    path("payments/success/", views.checkout_success, name="success"),
    path("payments/cancel/", views.checkout_cancel, name="cancel"),
]
