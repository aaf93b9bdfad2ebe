"""Fixtures of the accounts tests: a real SMTP server on loopback (aiosmtpd)."""

import email
import socket
import threading
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


class SmtpSink:
    """aiosmtpd handler keeping every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self._received = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._received:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append(envelope)
            self._received.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until at least `count` messages arrived; fail the test after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._received:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"expected {count} email(s), the SMTP server got {len(self.messages)}"
                    )
                self._received.wait(left)
            return list(self.messages)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 and Django's SMTP backend pointed at it.

    Yields the sink: `.messages` (email.message.EmailMessage, a Message subclass, parsed
    with the modern policy so `.get_body()` works) and `.wait_for(n)`.
    """
    sink = SmtpSink()
    # aiosmtpd needs a concrete port (it connects to it to check the server is up).
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        controller.stop()
