"""The world and the Stripe side for the contract tests."""

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from lms.testing import Cast
from lms.tests.contract.world import Api, World, build_world
from payments.tests.stripe_servers import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    FakeCheckout,
    LocalStripe,
    in_ci,
)


@pytest.fixture(scope="session")
def stripe_servers() -> Iterator[tuple[LocalStripe, FakeCheckout]]:
    """localstripe (a real Stripe API emulator) and the Checkout fake, on loopback."""
    stripe_api, checkout = LocalStripe(), FakeCheckout()
    try:
        stripe_api.start()
    except Exception as exc:  # pragma: no cover - depends on the machine
        if in_ci():
            pytest.fail(f"localstripe did not start (CI=true: required): {exc}")
        pytest.skip(f"localstripe did not start: {exc}")
    checkout.start()
    try:
        yield stripe_api, checkout
    finally:
        checkout.stop()
        stripe_api.stop()


def stripe_environment(stripe_servers: tuple[LocalStripe, FakeCheckout]) -> dict[str, Any]:
    stripe_api, checkout = stripe_servers
    return {
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_api.url,
        "STRIPE_CHECKOUT_API_BASE": checkout.url,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    }


@pytest.fixture
def stripe_on(settings: Any, stripe_servers: tuple[LocalStripe, FakeCheckout]) -> LocalStripe:
    for name, value in stripe_environment(stripe_servers).items():
        setattr(settings, name, value)
    return stripe_servers[0]


@pytest.fixture
def no_throttles(settings: Any) -> None:
    """The walk sends hundreds of requests per role; rates are tested elsewhere."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(rest["DEFAULT_THROTTLE_RATES"], "100000/min")
    settings.REST_FRAMEWORK = rest


def payer(stripe_api: LocalStripe) -> Any:
    from payments.tests.flows import pay_with_intent

    def pay(user: Any, course_slug: str) -> int:
        return int(pay_with_intent(user, SimpleNamespace(slug=course_slug), stripe_api).pk)

    return pay


@pytest.fixture
def world(cast: Cast, stripe_on: LocalStripe, no_throttles: None) -> tuple[Api, World]:
    api = Api(cast)
    return api, build_world(api, pay=payer(stripe_on))
