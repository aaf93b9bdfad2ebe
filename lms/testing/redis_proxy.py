"""A loopback TCP proxy in front of the real Redis, to switch Redis "off" and on again.

    with RedisProxy(settings.REDIS_URL) as proxy:
        url = proxy.url()          # redis://127.0.0.1:<port>/<db of REDIS_URL>
        proxy.refuse()             # the port is closed: connects are refused, open
                                   # connections are cut (a crashed or stopped Redis)
        proxy.hang()               # connects are accepted, nothing is ever answered (a
                                   # black-holed Redis: every client waits its timeout)
        proxy.restore()            # back to forwarding, on the same port

No mock of Redis anywhere: clients talk the real protocol to the real server, only the
network between them fails. Used by the Redis-down tests, and usable by a server process
under test (pass `proxy.url()` as its REDIS_URL).
"""

import contextlib
import socket
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.test import override_settings

from lms.cache.outage import outage_named, redact_url

FORWARD, REFUSE, HANG = "forward", "refuse", "hang"


class RedisProxy:
    def __init__(self, redis_url: str, *, port: int = 0) -> None:
        parts = urlsplit(redis_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 6379)
        self._url_parts = parts
        self._lock = threading.Lock()
        self._mode = FORWARD
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self.port = port
        self.accepted = 0  # connections accepted so far (forwarded or held by hang())
        self._listen()

    # --- switching ---------------------------------------------------------------------

    def url(self, db: int | None = None) -> str:
        """REDIS_URL through the proxy: same credentials and db unless `db` is given."""
        netloc = self._url_parts.netloc.rsplit("@", 1)
        auth = f"{netloc[0]}@" if len(netloc) == 2 else ""
        path = f"/{db}" if db is not None else self._url_parts.path
        return urlunsplit(
            self._url_parts._replace(netloc=f"{auth}127.0.0.1:{self.port}", path=path)
        )

    def refuse(self) -> None:
        """Close the port and cut every open connection."""
        with self._lock:
            self._mode = REFUSE
            listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)
        self._cut_all()

    def hang(self) -> None:
        """Accept connections but never answer; open connections go silent too."""
        with self._lock:
            self._mode = HANG
        self._cut_all()
        self._listen()

    def restore(self) -> None:
        """Forward again, on the same port."""
        with self._lock:
            self._mode = FORWARD
        self._cut_all()  # connections held by hang() never answered: start clean
        self._listen()

    def close(self) -> None:
        self.refuse()

    def __enter__(self) -> "RedisProxy":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- plumbing -----------------------------------------------------------------------

    def _listen(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed (refuse)
                return
            with self._lock:
                mode = self._mode
                self._sockets.add(client)
                self.accepted += 1
            if mode == FORWARD:
                threading.Thread(target=self._forward, args=(client,), daemon=True).start()
            # HANG: keep the socket open and never read or answer it.

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._upstream, timeout=5)
        except OSError:
            self._drop(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._sockets.add(upstream)
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        self._drop(source)
        self._drop(target)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        _close(sock)

    def _cut_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@contextlib.contextmanager
def cache_through(proxy: RedisProxy, *, backoff: float = 0.2) -> Iterator[None]:
    """The default cache as configured, but reaching Redis through `proxy`, with a short
    outage back-off so tests need not wait a second. Bumps a test's outage left pending
    are dropped at exit (they would otherwise be retried against the next test's Redis)."""
    from lms.cache import pending_bumps_clear

    default: dict[str, Any] = dict(settings.CACHES["default"])
    options = {**default.get("OPTIONS", {}), "OUTAGE_BACKOFF": backoff}
    caches = {
        **settings.CACHES,
        "default": {**default, "LOCATION": proxy.url(), "OPTIONS": options},
    }
    try:
        with override_settings(CACHES=caches):
            # An earlier proxy may have had this port: its outage is not this one's.
            outage_named(f"redis cache at {redact_url(proxy.url())}").reset()
            yield
    finally:
        pending_bumps_clear()
