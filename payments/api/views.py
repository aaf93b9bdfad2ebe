"""The payments API: checkout (hosted Checkout Session, or a PaymentIntent for mobile),
the Stripe webhook, my orders, refunds by staff, and revenue totals."""

from typing import TYPE_CHECKING, Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.selectors import course_get_visible
from lms.api.schema import problem_response
from payments import selectors, services
from payments.api import serializers as s
from payments.models import Order
from payments.permissions import can_refund, can_view_revenue

if TYPE_CHECKING:
    from accounts.models import User

COURSE_SLUG = OpenApiParameter(
    "course_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The course's slug."
)
ID_PARAMETER = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeating a refund with the same key returns the first refund.",
)

CHECKOUT_PROBLEMS = {
    **problem_response(
        400,
        "validation_error; coupon_unknown, coupon_expired, coupon_not_applicable, "
        "coupon_exhausted, coupon_used.",
    ),
    **problem_response(
        403, "course_archived, course_not_published, enrollment_closed, enrollment_revoked."
    ),
    **problem_response(409, "already_enrolled, course_is_free (with `enroll`), course_full."),
    **problem_response(502, "stripe_error: Stripe refused; nothing was stored."),
    **problem_response(503, "payments_not_configured."),
}


def _checkout(request: Request, *, slug: str, kind: str, coupon: str) -> Response:
    course = course_get_visible(slug=slug, user=request.user)
    user: User = request.user  # type: ignore[assignment]  # IsAuthenticated
    result = services.checkout_start(
        user=user, course=course, kind=kind, coupon_code=coupon.strip() or None
    )
    data: dict[str, Any] = {
        "order": s.OrderSerializer(result.order).data,
        "enrolled": result.enrolled,
    }
    if kind == Order.Kind.CHECKOUT:
        data["checkout_url"] = result.checkout_url
    else:
        data["payment_intent_id"] = result.order.stripe_payment_intent_id
        data["client_secret"] = result.client_secret
    return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class CourseCheckoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="courses_checkout",
        parameters=[COURSE_SLUG],
        request=s.CheckoutInputSerializer,
        responses={200: s.CheckoutOutputSerializer, 201: s.CheckoutOutputSerializer}
        | CHECKOUT_PROBLEMS,
    )
    def post(self, request: Request, course_slug: str) -> Response:
        """Start paying for a course: the learner's open order (reused, 200, or new, 201)
        and a Stripe Checkout Session URL to redirect to. Enrollment follows the payment,
        through Stripe's webhook, never the success redirect. A 100% coupon enrolls at
        once (`enrolled`, no URL)."""
        serializer = s.CheckoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        coupon = serializer.validated_data.get("coupon") or ""
        return _checkout(request, slug=course_slug, kind=Order.Kind.CHECKOUT, coupon=coupon)


class PaymentIntentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="payments_intents_create",
        request=s.IntentInputSerializer,
        responses={200: s.IntentOutputSerializer, 201: s.IntentOutputSerializer}
        | CHECKOUT_PROBLEMS,
    )
    def post(self, request: Request) -> Response:
        """For mobile clients: the same as checkout, with a PaymentIntent whose client
        secret the app confirms with Stripe's SDK."""
        serializer = s.IntentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return _checkout(
            request, slug=data["course"], kind=Order.Kind.INTENT, coupon=data.get("coupon") or ""
        )


class StripeWebhookView(APIView):
    """Stripe's events. Signed with the endpoint secret; no user authentication."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []  # Stripe retries in bursts; the signature is the gate

    @extend_schema(
        operation_id="payments_stripe_webhook",
        request=OpenApiTypes.OBJECT,
        responses={200: s.WebhookOutputSerializer}
        | problem_response(400, "invalid_signature, invalid_payload; nothing was stored.")
        | problem_response(503, "payments_not_configured."),
    )
    def post(self, request: Request) -> Response:
        """Verifies `Stripe-Signature` (secret and timestamp tolerance), stores the event
        once and applies it before answering. A duplicate answers 200 too."""
        # The body is Stripe's own event, read raw (the signature covers the bytes), not
        # through a serializer: the strict-input opt-out of the platform contract.
        row = services.stripe_webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
        return Response({"received": True, "duplicate": row is None})


class OrderViewSet(viewsets.GenericViewSet[Order]):
    serializer_class = s.OrderSerializer
    permission_classes = [IsAuthenticated]
    queryset = Order.objects.none()
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return selectors.order_list_mine(user=self.request.user)

    def list(self, request: Request) -> Response:
        """My orders, newest first."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.OrderSerializer(page, many=True).data)

    @extend_schema(parameters=[ID_PARAMETER])
    def retrieve(self, request: Request, pk: str) -> Response:
        """Own orders; course owners and instructors see their courses' orders; admins all."""
        order = selectors.order_get_visible(user=request.user, order_id=int(pk))
        return Response(s.OrderSerializer(order).data)

    @extend_schema(
        parameters=[ID_PARAMETER, IDEMPOTENCY_KEY],
        request=s.RefundInputSerializer,
        responses={200: s.RefundOutputSerializer, 201: s.RefundOutputSerializer}
        | problem_response(409, "not_refundable.")
        | problem_response(502, "stripe_error: Stripe refused; nothing was stored.")
        | problem_response(503, "payments_not_configured."),
    )
    @action(detail=True, methods=["post"])
    def refund(self, request: Request, pk: str) -> Response:
        """Admins (and the support desk) refund all (default) or part of a paid order
        through Stripe. A full refund revokes the paid enrollment; a partial one keeps it."""
        order = selectors.order_get_visible(user=request.user, order_id=int(pk))
        if not can_refund(request.user):
            raise PermissionDenied("Only admins and the support desk refund orders.")
        serializer = s.RefundInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.order_refund(
            order=order,
            by=request.user,  # type: ignore[arg-type]  # IsAuthenticated
            reason=serializer.validated_data["reason"],
            amount=serializer.validated_data.get("amount"),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        fresh = selectors.order_get_visible(user=request.user, order_id=order.pk)
        return Response(
            {
                "refund": s.RefundSerializer(result.refund).data,
                "order": s.OrderSerializer(fresh).data,
            },
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class RevenueView(generics.GenericAPIView[Any]):
    permission_classes = [IsAuthenticated]
    serializer_class = s.RevenueRowSerializer

    @extend_schema(
        operation_id="payments_revenue",
        parameters=[OpenApiParameter("course", OpenApiTypes.STR, description="A course slug.")],
        responses=s.RevenueRowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Paid orders per course and month (gross, refunded, net in minor units), newest
        month first: admins and the support desk for every course, instructors for the
        courses they own or teach."""
        if not can_view_revenue(request.user):
            raise PermissionDenied("Revenue is for instructors and admins.")
        # The grouping aggregates every paid order of the courses whatever the page, so
        # the groups are read once and paged here: the count costs no second query.
        rows = list(
            selectors.revenue_rows(
                user=request.user, course_slug=request.query_params.get("course")
            )
        )
        page = self.paginate_queryset(rows)
        shaped = [selectors.revenue_row(row) for row in page or []]
        return self.get_paginated_response(s.RevenueRowSerializer(shaped, many=True).data)
