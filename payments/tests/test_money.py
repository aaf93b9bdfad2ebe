"""Money arithmetic, property-based (hypothesis): minor units, zero- and three-decimal
currencies, coupon discounts, Stripe's minimum charge."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.money import (
    THREE_DECIMAL,
    ZERO_DECIMAL,
    currency_exponent,
    format_amount,
    minimum_charge,
    price_with_discount,
)

CURRENCIES = st.sampled_from(["USD", "EUR", "GBP", "JPY", "KRW", "VND", "BHD", "KWD", "CHF"])
PRICES = st.integers(min_value=0, max_value=10**9)


@given(price=PRICES, currency=CURRENCIES, percent=st.integers(min_value=0, max_value=100))
def test_percent_discount_invariants(price, currency, percent):
    priced = price_with_discount(list_amount=price, currency=currency, percent_off=percent)
    assert priced.total + priced.discount == price
    assert 0 <= priced.discount <= price
    assert 0 <= priced.total <= price
    # Never more off than the percentage promises.
    assert priced.discount * 100 <= price * percent
    # Stripe can charge it: nothing, or at least the minimum (unless the price is lower).
    assert priced.total == 0 or priced.total >= min(minimum_charge(currency), price)
    if percent == 100:
        assert priced.total == 0
    if percent == 0:
        assert priced.total == price


@given(price=PRICES, currency=CURRENCIES, off=st.integers(min_value=0, max_value=10**10))
def test_fixed_discount_invariants(price, currency, off):
    priced = price_with_discount(list_amount=price, currency=currency, amount_off=off)
    assert priced.total + priced.discount == price
    assert 0 <= priced.discount <= min(off, price)
    if off >= price:
        assert priced.total == 0


@given(price=PRICES, currency=st.sampled_from(sorted(THREE_DECIMAL)), pct=st.integers(1, 99))
def test_three_decimal_discounted_totals_end_in_zero(price, currency, pct):
    priced = price_with_discount(list_amount=price, currency=currency, percent_off=pct)
    if priced.total not in (0, price):
        assert priced.total % 10 == 0


@given(price=st.integers(min_value=0, max_value=10**7), pct=st.integers(0, 100))
def test_percent_rounding_is_floor_of_exact_discount(price, pct):
    priced = price_with_discount(list_amount=price, currency="JPY", percent_off=pct)
    exact = price * pct // 100
    total = price - exact
    if 0 < total < min(50, price):
        total = min(50, price)
    assert priced.total == total


def test_worked_examples():
    assert price_with_discount(list_amount=1999, currency="USD", percent_off=15).total == 1700
    assert price_with_discount(list_amount=1000, currency="JPY", percent_off=33).total == 670
    # 99% off 49.00 USD would be 0.49: below Stripe's 0.50 minimum, so 0.50 is charged.
    assert price_with_discount(list_amount=4900, currency="USD", percent_off=99).total == 50
    assert price_with_discount(list_amount=30, currency="USD", percent_off=10).total == 30
    assert price_with_discount(list_amount=12345, currency="KWD", percent_off=10).total == 11120


@given(amount=st.integers(min_value=-(10**12), max_value=10**12), currency=CURRENCIES)
def test_format_round_trips_the_minor_units(amount, currency):
    text, code = format_amount(amount, currency).split(" ")
    assert code == currency
    exponent = currency_exponent(currency)
    if exponent == 0:
        assert "." not in text
        assert int(text) == amount
    else:
        whole, fraction = text.lstrip("-").split(".")
        assert len(fraction) == exponent
        value = int(whole) * 10**exponent + int(fraction)
        assert (-value if text.startswith("-") else value) == amount


def test_exponents():
    assert {currency_exponent(c) for c in ZERO_DECIMAL} == {0}
    assert currency_exponent("usd") == 2
    assert currency_exponent("BHD") == 3
    assert format_amount(1000, "JPY") == "1000 JPY"
    assert format_amount(5, "USD") == "0.05 USD"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"list_amount": -1, "currency": "USD"},
        {"list_amount": 10, "currency": "USD", "percent_off": 101},
        {"list_amount": 10, "currency": "USD", "amount_off": -1},
        {"list_amount": 10, "currency": "USD", "amount_off": 1, "percent_off": 1},
    ],
)
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        price_with_discount(**kwargs)
