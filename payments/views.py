"""Where Stripe Checkout sends the learner back. These pages only read: the enrollment
comes from the webhook (or the reconciliation), never from a redirect anyone can open."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from payments import selectors


@require_GET
def checkout_success(request: HttpRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "")[:255]
    order = selectors.order_for_checkout_session(user=request.user, session_id=session_id)
    return render(request, "payments/success.html", {"order": order})


@require_GET
def checkout_cancel(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/cancel.html")
