"""Per-request values that logs, services and the audit log read without a request object
at hand: the request id and the client's address, set by lms.middleware.RequestIdMiddleware.
Services never take `request` just to learn who is calling from where."""

import ipaddress
from contextvars import ContextVar
from typing import Any

from django.conf import settings

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)
client_ip_var: ContextVar[str | None] = ContextVar("client_ip", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()


def current_client_ip() -> str | None:
    return client_ip_var.get()


def client_ip(request: Any) -> str | None:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies, the address the outermost one saw.

    Same rule as DRF's throttles: X-Forwarded-For is only believed as far as the configured
    number of proxies, so a client cannot choose the address that gets recorded.
    """
    meta = request.META
    address = meta.get("REMOTE_ADDR", "")
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        address = hops[-min(num_proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
