"""factory_boy factories for payments rows (written directly, not via the services)."""

import factory

from payments.models import Coupon


class CouponFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = Coupon.Kind.PERCENT
    percent_off = 20
    amount_off = None
    currency = ""
    max_per_user = 1
