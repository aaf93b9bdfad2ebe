"""A real SMTP server on loopback for tests (aiosmtpd): what the app sends, as received.

`smtp_server` is a fixture of every app's tests (lms.testing.fixtures)."""

import email
import re
import threading
import time
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from lms.testing.servers import free_port


class SmtpSink:
    """aiosmtpd handler keeping every message it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []
        self._received = threading.Condition()
        self._taken: set[int] = set()

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

    def take(self, match: Callable[[EmailMessage], bool], timeout: float = 10.0) -> EmailMessage:
        """The first message not taken yet that `match`es, waiting for it to arrive; each
        message is taken once, so a test can ask for the emails a step sends in any order."""
        deadline = time.monotonic() + timeout
        with self._received:
            while True:
                for index, message in enumerate(self.messages):
                    if index not in self._taken and match(message):
                        self._taken.add(index)
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    subjects = [str(m["Subject"]) for m in self.messages]
                    pytest.fail(f"no matching email arrived; the SMTP server got {subjects}")
                self._received.wait(left)

    def untaken(self) -> list[EmailMessage]:
        with self._received:
            return [m for i, m in enumerate(self.messages) if i not in self._taken]


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 and Django's SMTP backend pointed at it.

    Yields the sink: `.messages` (email.message.EmailMessage, a Message subclass, parsed
    with the modern policy so `.get_body()` works) and `.wait_for(n)`.
    """
    sink = SmtpSink()
    # aiosmtpd needs a concrete port (it connects to it to check the server is up).
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
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


# --- what a message says ------------------------------------------------------------------


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a multipart/alternative message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, message.get_content_type()
    return text.get_content(), html.get_content()


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value or "" for name, value in attrs if name == "href")


def html_links(html: str) -> list[str]:
    """Every `<a href>` of an HTML body, entities decoded (as a mail client reads them)."""
    parser = _Hrefs()
    parser.feed(html)
    return parser.hrefs


TEXT_URL = re.compile(r"https?://[^\s<>\"]+")


def text_links(text: str) -> list[str]:
    """Every http(s) URL written out in a plain-text body (a full stop or comma right
    after one ends the sentence, not the URL)."""
    return [url.rstrip(".,") for url in TEXT_URL.findall(text)]


def message_links(message: EmailMessage) -> list[str]:
    """The distinct links of a message, in order of first appearance (text, then HTML)."""
    text, html = text_and_html(message)
    return list(dict.fromkeys([*text_links(text), *html_links(html)]))
