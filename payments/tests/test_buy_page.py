"""The course page's buy button (payments.views.buy, POST /courses/<slug>/buy/): a Checkout
Session and a redirect to Stripe when payments are configured (the loopback Checkout
fake of these tests), the service's reason on the course page when they are not or when
the checkout is refused, and nothing stored by a refusal."""

import pytest
from django.test import Client

from accounts.models import User
from enrollments.models import Enrollment
from enrollments.services import enrollment_create
from lms.testing import Cast, make_course, unchanged
from payments.models import CouponRedemption, Order
from payments.tests.conftest import make_paid_course
from payments.tests.factories import CouponFactory

pytestmark = pytest.mark.django_db


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def buy_url(course) -> str:
    return f"/courses/{course.slug}/buy/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_unconfigured_payments_say_so_on_the_course_page(cast: Cast, course, stripe_off):
    with unchanged(course, counts=(Order, Enrollment)):
        response = client_as(cast.other_student).post(buy_url(course), follow=True)
    assert response.redirect_chain == [(f"/courses/{course.slug}/", 302)]
    assert messages_of(response) == [
        "Payments are not configured on this server; paid courses cannot be bought yet."
    ]
    assert response.context["action"].kind == "buy"  # the button stays; nothing changed


def test_configured_payments_redirect_to_stripe_checkout(cast: Cast, course, stripe_on):
    response = client_as(cast.other_student).post(buy_url(course))

    assert response.status_code == 302
    order = Order.objects.get(user=cast.other_student, course=course)
    assert order.status == "pending" and order.kind == "checkout"
    assert response["Location"] == order.checkout_url
    assert response["Location"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    sent = stripe_on.requests[-1]["form"]
    assert sent["line_items[0][price_data][unit_amount]"] == "4900"
    assert not Enrollment.objects.filter(user=cast.other_student, course=course).exists()

    again = client_as(cast.other_student).post(buy_url(course))  # the open order is reused
    assert again["Location"] == response["Location"]
    assert Order.objects.filter(user=cast.other_student, course=course).count() == 1


def test_a_coupon_is_applied_and_a_bad_one_is_a_message(cast: Cast, course, stripe_on):
    CouponFactory(code="HALF", kind="percent", percent_off=50)
    response = client_as(cast.other_student).post(buy_url(course), {"coupon": " half "})
    assert response.status_code == 302
    order = Order.objects.get(user=cast.other_student, course=course)
    assert (order.amount, order.coupon.code) == (2450, "HALF")
    assert CouponRedemption.objects.filter(order=order).exists()

    with unchanged(counts=(Order, CouponRedemption)):
        refused = client_as(cast.outsider).post(buy_url(course), {"coupon": "NOPE"}, follow=True)
    assert refused.redirect_chain == [(f"/courses/{course.slug}/", 302)]
    assert len(messages_of(refused)) == 1


def test_a_full_coupon_enrolls_at_once(cast: Cast, course, stripe_on):
    CouponFactory(code="FREE", kind="percent", percent_off=100)
    response = client_as(cast.other_student).post(buy_url(course), {"coupon": "FREE"}, follow=True)
    assert messages_of(response) == [f"You are enrolled in {course.title}."]
    assert Enrollment.objects.get(user=cast.other_student, course=course).status == "active"
    assert response.context["action"].kind == "continue"


def test_refusals_of_the_join_rule_are_messages(cast: Cast, course, stripe_on):
    free = make_course(cast)
    full = make_paid_course(cast, capacity=1)
    enrollment_create(user=cast.student, course=full, source="staff")
    enrollment_create(user=cast.student, course=course, source="staff")
    cases = [
        (cast.other_student, free, "This course is free: enroll directly."),
        (cast.other_student, full, "This course is full."),
        (cast.student, course, "Already enrolled in this course."),
    ]
    for user, target, message in cases:
        with unchanged(target, counts=(Order, Enrollment)):
            response = client_as(user).post(buy_url(target), follow=True)
        assert response.status_code == 200
        assert messages_of(response) == [message]


def test_buy_needs_a_login_a_post_and_a_visible_course(cast: Cast, course, stripe_on):
    with unchanged(counts=(Order,)):
        anonymous = Client().post(buy_url(course))
        assert anonymous.status_code == 302
        assert anonymous["Location"] == f"/accounts/login/?next={buy_url(course)}"
        assert client_as(cast.other_student).get(buy_url(course)).status_code == 405
        draft = make_paid_course(cast, published=False)
        assert client_as(cast.other_student).post(buy_url(draft)).status_code == 404
        assert client_as(cast.other_instructor).post(buy_url(draft)).status_code == 404


# --- in a browser: the redirect to Stripe is allowed by the site's CSP -----------------------


def test_the_site_csp_lets_the_buy_form_go_to_stripe_checkout(settings, client):
    from lms.settings.base import CONTENT_SECURITY_POLICY

    directives = dict(
        [*part.split(" ", 1), ""][:2]
        for part in (p.strip() for p in CONTENT_SECURITY_POLICY.split(";"))
    )
    assert directives["form-action"].split() == ["'self'", "https://checkout.stripe.com"]
    assert "https:" in directives["media-src"].split()  # video lessons hosted elsewhere


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_buy_goes_to_stripe_checkout_in_chromium(page, settings, stripe_on):
    """Chromium applies form-action to the redirect that answers a form: without Stripe's
    origin in it, the buy button does nothing (a CSP violation in the console). The
    Checkout fake's URLs (https://checkout.stripe.test/..., which do not resolve) stand in
    for https://checkout.stripe.com: the policy is rewritten to their origin."""
    from playwright.sync_api import expect

    from accounts.tests.factories import UserFactory
    from lms.testing.browser import sign_in, take_problems

    settings.CONTENT_SECURITY_POLICY = settings.CONTENT_SECURITY_POLICY.replace(
        "https://checkout.stripe.com", "https://checkout.stripe.test"
    )
    course = make_paid_course(title="Paid in a browser")
    learner = UserFactory(email="buyer@example.test")
    sign_in(page, learner.email)
    page.goto(f"/courses/{course.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Paid in a browser")

    checkout = lambda request: request.url.startswith("https://checkout.stripe.test/")  # noqa: E731
    with page.expect_request(checkout) as went:
        page.get_by_role("button", name="Buy for 49.00 USD").click()

    order = Order.objects.get(user=learner, course=course)
    assert went.value.url == order.checkout_url
    assert went.value.is_navigation_request()
    # The browser left for Stripe; only the stand-in's host name failed to resolve.
    problems = take_problems(page)
    assert problems and all("ERR_NAME_NOT_RESOLVED" in p for p in problems), problems
