"""Outage windows of a dependency (Redis as cache, Redis as Celery broker): when to try it
again, and the one log line per window.

A caller that fails to reach the dependency calls `failed(exc)`; for the next `backoff`
seconds `available()` answers False, so requests skip the dependency instead of each
waiting out a connect timeout. The first attempt after the back-off is a probe: if it fails
the window goes on; if it succeeds, `recovered()` closes it.

Logging: one WARNING when a window opens (with the cause, no traceback), one more every
`relog_after` seconds while it lasts, and one INFO when it closes (how long it lasted and
how many operations were skipped or failed). Nothing per request.
"""

import logging
import threading
import time
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger("lms.outage")


def describe_error(exc: BaseException) -> str:
    """`ConnectionError: Error 111 connecting to 127.0.0.1:6390. Connection refused.`"""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def redact_url(url: str) -> str:
    """The URL without its password, fit for a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


class Outage:
    """The state of one dependency in this process, shared by all its threads."""

    def __init__(self, name: str, *, backoff: float = 1.0, relog_after: float = 60.0) -> None:
        self.name = name
        self.backoff = backoff
        self.relog_after = relog_after
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._logged_at = 0.0
        self._skipped = 0
        self._cause = ""

    @property
    def down(self) -> bool:
        return self._down_since is not None

    @property
    def cause(self) -> str:
        return self._cause

    def available(self) -> bool:
        """False while in a back-off window: skip the dependency, use the fallback."""
        if self._down_since is None or time.monotonic() >= self._retry_at:
            return True
        with self._lock:
            self._skipped += 1
        return False

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._cause = describe_error(exc)
            self._retry_at = now + self.backoff
            self._skipped += 1
            if self._down_since is None:
                self._down_since = self._logged_at = now
                self._skipped = 1
                logger.warning(
                    "%s unavailable (%s); going on without it, next try in %.1f s",
                    self.name,
                    self._cause,
                    self.backoff,
                    extra={"dependency": self.name, "outage": "started"},
                )
            elif now - self._logged_at >= self.relog_after:
                self._logged_at = now
                logger.warning(
                    "%s still unavailable after %.0f s (%s); %d operations failed open",
                    self.name,
                    now - self._down_since,
                    self._cause,
                    self._skipped,
                    extra={"dependency": self.name, "outage": "ongoing"},
                )

    def reset(self) -> None:
        """Forget any outage without a word (tests: a new server on a reused port)."""
        with self._lock:
            self._down_since = None
            self._skipped = 0
            self._cause = ""

    def recovered(self) -> None:
        if self._down_since is None:  # the common case: no lock, nothing to say
            return
        with self._lock:
            if self._down_since is None:
                return
            lasted = time.monotonic() - self._down_since
            logger.info(
                "%s available again after %.1f s; %d operations failed open meanwhile",
                self.name,
                lasted,
                self._skipped,
                extra={"dependency": self.name, "outage": "ended"},
            )
            self._down_since = None
            self._skipped = 0
            self._cause = ""


_registry: dict[str, Outage] = {}
_registry_lock = threading.Lock()


def outage_named(name: str, *, backoff: float | None = None) -> Outage:
    """The process-wide state of the dependency called `name` (created on first use), so
    every thread and every backend instance shares one window and one log line. A given
    `backoff` is applied (settings may change it, e.g. in tests)."""
    with _registry_lock:
        outage = _registry.get(name)
        if outage is None:
            outage = _registry[name] = Outage(name)
        if backoff is not None:
            outage.backoff = backoff
        return outage
