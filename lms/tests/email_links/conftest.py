"""The emailed-links tests pay on Stripe like the payments tests: localstripe for the
session, the Checkout fake, and the keys (payments/tests/conftest.py)."""

from payments.tests.conftest import (  # noqa: F401  # fixtures
    checkout_fake,
    localstripe,
    stripe_on,
)
