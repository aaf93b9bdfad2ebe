"""`{% load money %}{{ amount|money:currency }}`: a price in minor units, for people.

The one display of money (`payments.money.format_amount`): pages of lower apps (the
catalogue, the course page) load this library by name at render time, as they use other
apps' URL names, without importing payments (docs/decisions/0016-learner-portal.md).
"""

from django import template

from payments.money import format_amount

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    """`4900|money:"USD"` -> "49.00 USD"; nothing for a missing amount."""
    if amount is None or not currency:
        return ""
    return format_amount(int(amount), currency)
