"""Per-request values that logs and the audit log read without a request object at hand."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()
