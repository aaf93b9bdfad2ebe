"""The course page's buy button (start a Stripe Checkout), and where Stripe Checkout sends
the learner back. The return pages only read: the enrollment comes from the webhook (or
the reconciliation), never from a redirect anyone can open."""

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from courses.selectors import course_get_visible
from lms.errors import ServiceError
from payments import selectors, services
from payments.models import Order

if TYPE_CHECKING:
    from accounts.models import User

COUPON_MAX_LENGTH = 64


@login_required
@require_POST
def buy(request: HttpRequest, slug: str) -> HttpResponse:
    """The course page's "Buy" form: the learner's Checkout Session (a new or reused open
    order) and a redirect to Stripe; or, refused (not configured, full, closed, a bad
    coupon, Stripe down), back to the course page with the service's reason. A 100 %
    coupon enrolls at once."""
    course = course_get_visible(slug=slug, user=request.user)  # drafts: 404 to outsiders
    course_page = reverse("enrollments:course_page", kwargs={"slug": course.slug})
    coupon = request.POST.get("coupon", "").strip()[:COUPON_MAX_LENGTH] or None
    try:
        result = services.checkout_start(
            user=cast("User", request.user),
            course=course,
            kind=Order.Kind.CHECKOUT,
            coupon_code=coupon,
        )
    except ServiceError as refusal:
        messages.error(request, refusal.message)
        return HttpResponseRedirect(course_page)
    if result.checkout_url:
        return HttpResponseRedirect(result.checkout_url)  # Stripe's hosted page
    if result.enrolled:
        messages.success(request, f"You are enrolled in {course.title}.")
    else:  # a free order whose grant was refused meanwhile (the order says why)
        messages.info(request, "Your order is recorded; the course page shows your access.")
    return HttpResponseRedirect(course_page)


@require_GET
def checkout_success(request: HttpRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "")[:255]
    order = selectors.order_for_checkout_session(user=request.user, session_id=session_id)
    return render(request, "payments/success.html", {"order": order})


@require_GET
def checkout_cancel(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/cancel.html")
