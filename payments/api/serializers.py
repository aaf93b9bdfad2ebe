"""Input and output serializers of the payments API (strict: an unknown field is a 400)."""

from rest_framework import serializers

from lms.api.serializers import ModelSerializer, Serializer
from payments.models import Order, Refund
from payments.money import format_amount


class OrderCourseSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    title = serializers.CharField(read_only=True)


class OrderSerializer(ModelSerializer):
    course = OrderCourseSerializer(read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="One of: " + ", ".join(Order.Status.values) + "."
    )
    kind = serializers.CharField(read_only=True, help_text="checkout, intent or free.")
    coupon = serializers.SerializerMethodField()
    amount_display = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "course",
            "kind",
            "status",
            "list_amount",
            "discount_amount",
            "amount",
            "amount_refunded",
            "currency",
            "amount_display",
            "coupon",
            "needs_review",
            "created_at",
            "paid_at",
            "refunded_at",
        ]
        read_only_fields = fields

    def get_coupon(self, order: Order) -> str | None:
        return order.coupon.code if order.coupon_id and order.coupon else None

    def get_amount_display(self, order: Order) -> str:
        return format_amount(order.amount, order.currency)


class CheckoutInputSerializer(Serializer):
    coupon = serializers.CharField(required=False, allow_blank=True, max_length=40)


class IntentInputSerializer(CheckoutInputSerializer):
    course = serializers.SlugField(max_length=220, help_text="The course's slug.")


class CheckoutOutputSerializer(Serializer):
    order = OrderSerializer()
    checkout_url = serializers.CharField(allow_blank=True)
    enrolled = serializers.BooleanField(help_text="A 100% coupon enrolled without payment.")


class IntentOutputSerializer(Serializer):
    order = OrderSerializer()
    payment_intent_id = serializers.CharField(allow_blank=True)
    client_secret = serializers.CharField(allow_blank=True)
    enrolled = serializers.BooleanField()


class RefundInputSerializer(Serializer):
    amount = serializers.IntegerField(
        required=False, min_value=1, help_text="Minor units; default: all that is left."
    )
    reason = serializers.CharField(max_length=500)


class RefundSerializer(ModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Refund
        fields = ["id", "amount", "reason", "status", "stripe_refund_id", "created_at"]
        read_only_fields = fields


class RefundOutputSerializer(Serializer):
    refund = RefundSerializer()
    order = OrderSerializer()


class RevenueRowSerializer(Serializer):
    course = OrderCourseSerializer()
    month = serializers.CharField(help_text="YYYY-MM of the payment.")
    currency = serializers.CharField()
    orders = serializers.IntegerField()
    gross = serializers.IntegerField()
    refunded = serializers.IntegerField()
    net = serializers.IntegerField()


class WebhookOutputSerializer(Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()
