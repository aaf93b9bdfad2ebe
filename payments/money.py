"""Money arithmetic in integer minor units: currency exponents, coupon discounts, display.

Amounts are always integers of the currency's smallest unit as Stripe counts it (cents for
USD, yen for JPY). Nothing here touches the database, so it is property-tested.
"""

from dataclasses import dataclass

# Stripe's zero-decimal currencies: the amount is in whole units.
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
# Three-decimal currencies: Stripe takes three decimals but the last digit must be 0.
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])

# Stripe's minimum charge per currency (minor units); a positive total below it would be
# refused by Stripe. Other currencies use the default (50 minor units, 0.50 for 2-decimal).
MINIMUM_CHARGE = {"USD": 50, "EUR": 50, "GBP": 30, "JPY": 50, "KRW": 500, "HKD": 400}
DEFAULT_MINIMUM_CHARGE = 50


def currency_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def minimum_charge(currency: str) -> int:
    code = currency.upper()
    if code in THREE_DECIMAL:
        return 500  # 0.500 of the currency; the last digit must be 0
    return MINIMUM_CHARGE.get(code, DEFAULT_MINIMUM_CHARGE)


def format_amount(amount: int, currency: str) -> str:
    """`1999, "USD"` -> "19.99 USD"; `1000, "JPY"` -> "1000 JPY"."""
    exponent = currency_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**exponent)
    text = f"{whole}.{fraction:0{exponent}d}" if exponent else str(whole)
    return f"{sign}{text} {currency.upper()}"


@dataclass(frozen=True)
class Priced:
    list_amount: int
    discount: int
    total: int
    currency: str


def _stripe_rounding(amount: int, currency: str, list_amount: int) -> int:
    # Three-decimal currencies must end in 0: round the charge up to it (a coupon never
    # gives more than it promises), but never above the list price.
    if currency.upper() in THREE_DECIMAL and amount % 10:
        return min(amount + 10 - amount % 10, list_amount)
    return amount


def price_with_discount(
    *,
    list_amount: int,
    currency: str,
    percent_off: int | None = None,
    amount_off: int | None = None,
) -> Priced:
    """The price after a coupon (percent 1-100, or a fixed amount in the same currency).

    - The discount never exceeds the price, and the total is never negative.
    - Percent discounts round down (the learner pays the rounding, never gets a total
      Stripe would refuse): discount = floor(price * percent / 100).
    - A positive total below Stripe's minimum charge is raised to that minimum (never
      above the list price): such a coupon gives less, rather than failing at Stripe.
    - Three-decimal currencies charge a multiple of 10 (rounded up, at most the list
      price).
    """
    if list_amount < 0:
        raise ValueError("A price is not negative.")
    if percent_off is not None and amount_off is not None:
        raise ValueError("A coupon is a percentage or an amount, not both.")
    discount = 0
    if percent_off is not None:
        if not 0 <= percent_off <= 100:
            raise ValueError("A percentage is between 0 and 100.")
        discount = list_amount * percent_off // 100
    elif amount_off is not None:
        if amount_off < 0:
            raise ValueError("A discount is not negative.")
        discount = min(amount_off, list_amount)
    total = list_amount - discount
    if total > 0:
        total = max(total, min(minimum_charge(currency), list_amount))
        total = _stripe_rounding(total, currency, list_amount)
    return Priced(
        list_amount=list_amount, discount=list_amount - total, total=total, currency=currency
    )
