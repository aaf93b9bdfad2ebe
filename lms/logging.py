"""JSON logs with request context, and secrets redacted before anything is written."""

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from lms.request_context import request_id_var, user_id_var

REDACTED = "[REDACTED]"
SENSITIVE_KEY = re.compile(
    r"authorization|cookie|passw|secret|token|api[-_]?key|csrf|session|signature|otp|mfa_code",
    re.IGNORECASE,
)
_KEYS = r"(?:password|passwd|secret|token|api_key|otp|recovery_code)"
# Credentials that can hide inside free text: auth headers, JWTs, key=value pairs.
SENSITIVE_TEXT = [
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), REDACTED),
    # key: "quoted value" (up to the closing quote, spaces included), then key=bare-value.
    (re.compile(rf"(?i)({_KEYS}[\"']?\s*[:=]\s*)([\"'])(.*?)(?<!\\)\2"), rf"\1\2{REDACTED}\2"),
    (re.compile(rf"(?i)({_KEYS}[\"']?\s*[:=]\s*)([^\"'&\s,}}]+)"), rf"\1{REDACTED}"),
]


def redact(value: Any, key: str = "") -> Any:
    """Return a copy of value with secrets replaced, looking at both keys and text."""
    if key and SENSITIVE_KEY.search(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    for pattern, replacement in SENSITIVE_TEXT:
        text = pattern.sub(replacement, text)
    return text


class RequestContextFilter(logging.Filter):
    """Stamps each record with the current request id and user id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "user_id", None) is None:
            record.user_id = user_id_var.get()
        return True


class RedactingJsonFormatter(JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # Django's request logger attaches the request object; its path is already logged.
        log_data.pop("request", None)
        return redact(log_data)


class UnhandledErrorsOnly(logging.Filter):
    """For `django.request`: keep the record of an unhandled exception (it carries the
    traceback), drop the "Not Found: /x" / "Service Unavailable: /x" line Django writes for
    every 4xx/5xx response. lms.request already has one line per request with its status."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.exc_info is not None


class NoServerAccessLines(logging.Filter):
    """For the development servers' loggers (`django.server`, daphne's runserver as
    `django.channels.server`): drop their per-request HTTP line, which would repeat
    lms.request's; keep everything else they say (WebSocket connects, errors)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "status_code"):  # django.server's request line
            return False
        args = record.args
        # daphne's runserver: logger.info(msg, {"method", "path", "status", ...})
        return not (isinstance(args, dict) and "status" in args and "method" in args)
