"""Brokers and a real in-process Celery worker for the outbox tests."""

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from django.conf import settings

from lms.celery import app as celery_app
from lms.outbox.tests.handlers import Flaky, deliveries

QUEUES = [queue.name for queue in settings.CELERY_TASK_QUEUES]
# kombu's Redis transport keeps a list per queue and priority step, plus the unacked
# messages (acks_late) in a hash; these are all the keys tasks can sit in.
PRIORITY_SEPARATOR = "\x06\x16"
UNACKED_KEYS = ["unacked", "unacked_index", "unacked_mutex"]


def queue_keys() -> list[str]:
    keys = []
    for name in QUEUES:
        keys.append(name)
        keys += [f"{name}{PRIORITY_SEPARATOR}{step}" for step in (3, 6, 9)]
    return keys


def closed_port() -> int:
    """A local port that nothing listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    predicate: Callable[[], bool], *, timeout: float = 60, interval: float = 0.05
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _reset_broker_pools() -> None:
    # Celery caches its pools; drop them so the next publish picks the pool of the URL now
    # configured (as Celery does after a fork). kombu keeps each URL's pool for reuse, so
    # the pools themselves stay open.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def publishing_to(broker_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Eager mode off and the broker at broker_url until exit; then both restored."""
    for var in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL", "CELERY_BROKER_READ_URL"):
        monkeypatch.delenv(var, raising=False)  # Celery prefers these over its settings
    changes = celery_app.conf.changes
    overrides = {"CELERY_BROKER_URL": broker_url, "CELERY_TASK_ALWAYS_EAGER": False}
    saved = {key: (key in changes, changes.get(key)) for key in overrides}
    changes.update(overrides)
    _reset_broker_pools()
    try:
        yield
    finally:
        for key, (present, value) in saved.items():
            if present:
                changes[key] = value
            else:
                changes.pop(key, None)
        _reset_broker_pools()


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5)


def purge_queues() -> None:
    redis_client().delete(*queue_keys(), *UNACKED_KEYS)


def broker_is_idle() -> bool:
    """No task waiting in a queue, none fetched and unacknowledged, none running."""
    client = redis_client()
    waiting = sum(client.llen(key) for key in queue_keys())
    return waiting == 0 and client.hlen("unacked") == 0 and not worker_state.active_requests


@pytest.fixture(autouse=True)
def _clean_test_handlers() -> Iterator[None]:
    deliveries.clear()
    Flaky.fail_next = 0
    yield
    deliveries.clear()
    Flaky.fail_next = 0


@pytest.fixture
def unreachable_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    with publishing_to(url, monkeypatch):
        yield url


@pytest.fixture
def redis_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Publishing for real to the test Redis (REDIS_URL, db 15), queues empty before and after."""
    with publishing_to(settings.REDIS_URL, monkeypatch):
        purge_queues()
        try:
            yield settings.REDIS_URL
        finally:
            purge_queues()


@pytest.fixture
def celery_worker(transactional_db: None, redis_broker: str) -> Iterator[object]:
    """A real worker in a thread of this process, consuming every queue from Redis.

    It writes through its own database connection, so tests using it need committed data:
    transactional_db, not db.
    """
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
    ) as worker:
        yield worker
