"""Coupons: validation, pricing and redemption counting under the coupon's row lock.

A redemption is held by an order from checkout on (so a limit of 5 lets exactly 5
checkouts through however many race) and given back when the order is cancelled.
`Coupon.redeemed_count` moves only under `SELECT ... FOR UPDATE` of the coupon, and a
check constraint (redeemed_count <= max_redemptions) backs the limit in the database.
"""

from typing import TYPE_CHECKING

from django.db.models import F
from django.utils import timezone

from lms.errors import ServiceError
from payments.models import Coupon, CouponRedemption, Order
from payments.money import Priced, price_with_discount

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course


def coupon_lock(*, code: str) -> Coupon:
    coupon = Coupon.objects.select_for_update().filter(code__iexact=code.strip()).first()
    if coupon is None or not coupon.is_active:
        raise ServiceError("coupon_unknown", "This coupon code does not exist.")
    return coupon


def coupon_price(*, coupon: Coupon | None, course: "Course") -> Priced:
    """The course's price after the coupon (validity of the coupon is checked apart)."""
    if coupon is None:
        return price_with_discount(list_amount=course.price_amount, currency=course.currency)
    if coupon.kind == Coupon.Kind.PERCENT:
        return price_with_discount(
            list_amount=course.price_amount,
            currency=course.currency,
            percent_off=coupon.percent_off,
        )
    return price_with_discount(
        list_amount=course.price_amount, currency=course.currency, amount_off=coupon.amount_off
    )


def coupon_check(*, coupon: Coupon, course: "Course", user: "User", order: Order | None) -> None:
    """Raises ServiceError (`coupon_*`) unless this user may use the (locked) coupon on this course.
    A redemption the order already holds counts as the user's own, not as a new one."""
    now = timezone.now()
    if (coupon.valid_from and now < coupon.valid_from) or (
        coupon.valid_until and now > coupon.valid_until
    ):
        raise ServiceError("coupon_expired", "This coupon is not valid now.")
    if coupon.course_id is not None and coupon.course_id != course.pk:
        raise ServiceError("coupon_not_applicable", "This coupon is for another course.")
    if coupon.kind == Coupon.Kind.AMOUNT and coupon.currency != course.currency:
        raise ServiceError(
            "coupon_not_applicable", "This coupon is in another currency than the course."
        )
    held = order is not None and order.coupon_id == coupon.pk
    if held:
        return
    if coupon.max_redemptions is not None and coupon.redeemed_count >= coupon.max_redemptions:
        raise ServiceError("coupon_exhausted", "This coupon has been used up.")
    mine = CouponRedemption.objects.filter(coupon=coupon, user=user).count()
    if mine >= coupon.max_per_user:
        raise ServiceError("coupon_used", "You have already used this coupon.")


def redemption_take(*, coupon: Coupon, order: Order) -> None:
    """The coupon row is locked by the caller (coupon_lock)."""
    CouponRedemption.objects.create(coupon=coupon, user_id=order.user_id, order=order)
    Coupon.objects.filter(pk=coupon.pk).update(redeemed_count=F("redeemed_count") + 1)


def redemption_release(*, order: Order) -> None:
    """Gives back the order's redemption (a cancelled order, or a changed coupon)."""
    if order.coupon_id is None:
        return
    Coupon.objects.select_for_update().filter(pk=order.coupon_id).first()
    deleted, _ = CouponRedemption.objects.filter(order=order).delete()
    if deleted:
        Coupon.objects.filter(pk=order.coupon_id, redeemed_count__gt=0).update(
            redeemed_count=F("redeemed_count") - 1
        )
