"""The platform cache with Redis unreachable: every operation fails open, an outage is
logged once, a dead Redis is not retried on every call, and a version bump made during
the outage is not lost (docs/decisions/0013-redis-down.md).

Real Redis throughout: the cache reaches it through a loopback proxy that the tests
switch off (closed port, or a black hole that never answers) and on again.
"""

import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.utils import timezone
from django_redis.cache import RedisCache

import lms.cache
from lms.cache import (
    BUMP_TOPIC,
    cached,
    cached_local,
    pending_bumps,
    scope_bump,
    scope_version,
    versioned_key,
)
from lms.cache.backend import NOT_FAILED_OPEN, FailOpenRedisCache
from lms.outbox.models import OutboxMessage
from lms.outbox.services import outbox_relay
from lms.testing.redis_proxy import RedisProxy, cache_through

pytestmark = pytest.mark.redis

BACKOFF = 0.2
SCOPE = "tests:scope"


@pytest.fixture
def proxy() -> Iterator[RedisProxy]:
    with RedisProxy(settings.REDIS_URL) as running:
        yield running


@pytest.fixture
def direct() -> FailOpenRedisCache:
    """The cache straight to Redis (not through the proxy): what another process sees."""
    return FailOpenRedisCache(settings.REDIS_URL, {"KEY_PREFIX": settings.CACHE_KEY_PREFIX})


@pytest.fixture
def behind(proxy: RedisProxy) -> Iterator[RedisProxy]:
    with cache_through(proxy, backoff=BACKOFF):
        yield proxy


def wait_out_backoff() -> None:
    time.sleep(BACKOFF * 1.5)


@pytest.fixture(autouse=True)
def _capture_outage_log(caplog: pytest.LogCaptureFixture) -> None:
    # Whatever an earlier test (a Celery worker) did to the root logger's level.
    caplog.set_level(logging.INFO, logger="lms.outage")


def outage_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "lms.outage"]


# Every operation of django-redis's backend, called as a caller would, and what it must
# answer with Redis unreachable: what an empty cache would say.
CALLS: dict[str, tuple[Callable[[object], object], object]] = {
    "get": (lambda c: c.get("k", "fallback"), "fallback"),
    "set": (lambda c: c.set("k", 1), False),
    "add": (lambda c: c.add("k", 1), False),
    "touch": (lambda c: c.touch("k", 10), False),
    "delete": (lambda c: c.delete("k"), False),
    "incr": (lambda c: c.incr("k"), None),
    "decr": (lambda c: c.decr("k"), None),
    "incr_version": (lambda c: c.incr_version("k"), None),
    "get_many": (lambda c: c.get_many(["a", "b"]), {}),
    "set_many": (lambda c: c.set_many({"a": 1, "b": 2}), ["a", "b"]),
    "delete_many": (lambda c: c.delete_many(["a", "b"]), None),
    "has_key": (lambda c: c.has_key("k"), False),
    "clear": (lambda c: c.clear(), None),
    "close": (lambda c: c.close(), None),
    "keys": (lambda c: c.keys("*"), []),
    "delete_pattern": (lambda c: c.delete_pattern("*"), 0),
    "ttl": (lambda c: c.ttl("k"), None),
    "pttl": (lambda c: c.pttl("k"), None),
    "persist": (lambda c: c.persist("k"), False),
    "expire": (lambda c: c.expire("k", 10), False),
    "pexpire": (lambda c: c.pexpire("k", 10_000), False),
    "expire_at": (lambda c: c.expire_at("k", timezone.now() + timedelta(minutes=1)), False),
    "pexpire_at": (lambda c: c.pexpire_at("k", timezone.now() + timedelta(minutes=1)), False),
    "sadd": (lambda c: c.sadd("s", 1), None),
    "srem": (lambda c: c.srem("s", 1), None),
    "scard": (lambda c: c.scard("s"), 0),
    "sismember": (lambda c: c.sismember("s", 1), False),
    "smismember": (lambda c: c.smismember("s", 1, 2), None),
    "smembers": (lambda c: c.smembers("s"), set()),
    "smove": (lambda c: c.smove("s", "t", 1), None),
    "spop": (lambda c: c.spop("s"), None),
    "srandmember": (lambda c: c.srandmember("s"), None),
    "sscan": (lambda c: c.sscan("s"), None),
    "sdiff": (lambda c: c.sdiff("s", "t"), set()),
    "sdiffstore": (lambda c: c.sdiffstore("u", "s", "t"), None),
    "sinter": (lambda c: c.sinter("s", "t"), set()),
    "sinterstore": (lambda c: c.sinterstore("u", "s", "t"), None),
    "sunion": (lambda c: c.sunion("s", "t"), set()),
    "sunionstore": (lambda c: c.sunionstore("u", "s", "t"), None),
    "hset": (lambda c: c.hset("h", "f", 1), None),
    "hdel": (lambda c: c.hdel("h", "f"), None),
    "hlen": (lambda c: c.hlen("h"), 0),
    "hkeys": (lambda c: c.hkeys("h"), []),
    "hexists": (lambda c: c.hexists("h", "f"), False),
}
# Composed of the ones above by Django (or added by the platform).
COMPOSED: dict[str, tuple[Callable[[object], object], object]] = {
    "get_or_set": (lambda c: c.get_or_set("k", 5), 5),
    "decr_version": (lambda c: c.decr_version("k"), None),
    "aget": (lambda c: async_to_sync(c.aget)("k", "fallback"), "fallback"),
    "aset": (lambda c: async_to_sync(c.aset)("k", 1), False),
    "incr_with_ttl": (lambda c: c.incr_with_ttl("k", 10), None),
}


def test_the_calls_cover_every_operation_of_the_backend():
    operations = {
        name
        for name, member in vars(RedisCache).items()
        if callable(member) and not name.startswith("_")
    }
    assert operations - NOT_FAILED_OPEN == set(CALLS)


def test_the_proxy_forwards_to_the_real_redis(behind, direct):
    assert type(caches["default"]) is FailOpenRedisCache
    cache.set("through-the-proxy", "yes")
    assert direct.get("through-the-proxy") == "yes"
    assert behind.accepted >= 1


@pytest.mark.parametrize("name", [*CALLS, *COMPOSED])
def test_every_operation_fails_open(behind, name, caplog):
    behind.refuse()
    call, expected = {**CALLS, **COMPOSED}[name]
    assert call(cache) == expected  # tried Redis: refused
    assert call(cache) == expected  # in the back-off window: Redis not even tried
    assert not [record for record in caplog.records if record.exc_info]  # no tracebacks


def test_an_outage_is_logged_once_per_window_and_its_end_once(behind, caplog):
    behind.refuse()
    for _ in range(3):  # several back-off windows of one outage
        for _ in range(20):
            cache.get("k")
            cache.set("k", 1)
            cache.close()  # as after every request: does no I/O, so proves nothing
        wait_out_backoff()
    [started] = outage_records(caplog)
    assert started.levelno == logging.WARNING
    assert "unavailable" in started.getMessage() and "Connection refused" in started.getMessage()
    assert "redis cache at redis://127.0.0.1:" in started.getMessage()

    behind.restore()
    cache.set("k", 1)
    assert cache.get("k") == 1
    started, ended = outage_records(caplog)
    assert ended.levelno == logging.INFO and "available again" in ended.getMessage()

    behind.refuse()
    cache.get("k")
    assert len(outage_records(caplog)) == 3  # a new outage, a new line
    assert not [record for record in caplog.records if record.exc_info]


def test_a_long_outage_says_so_again_after_a_while(behind, caplog, monkeypatch):
    behind.refuse()
    cache.get("k")
    monkeypatch.setattr(caches["default"].outage, "relog_after", 0)
    wait_out_backoff()
    cache.get("k")
    _started, ongoing = outage_records(caplog)
    assert "still unavailable" in ongoing.getMessage()


def test_a_black_holed_redis_is_tried_once_per_back_off_window_not_per_call(proxy):
    with cache_through(proxy, backoff=3):
        proxy.hang()  # connects succeed, replies never come: a try waits SOCKET_TIMEOUT
        accepted = proxy.accepted
        for _ in range(10):
            assert cache.get("k") is None
            assert cache.set("k", 1) is False
        assert proxy.accepted - accepted == 1  # one try; the other 19 calls skipped Redis
        caches["default"].outage._retry_at = 0  # the window is over
        cache.get("k")
        assert proxy.accepted - accepted == 2  # one more try


def test_readiness_probe_names_the_cause(behind):
    from lms.cache import CacheUnavailable, cache_probe

    cache_probe()
    behind.refuse()
    with pytest.raises(CacheUnavailable, match="Connection refused"):
        cache_probe()
    with pytest.raises(CacheUnavailable, match="Connection refused"):  # no back-off: it asks
        cache_probe()
    behind.restore()
    cache_probe()


# --- the versioned cache ---------------------------------------------------------------


@pytest.mark.django_db
def test_versions_and_entries_live_in_redis_and_a_bump_moves_them(behind, direct):
    key = versioned_key(SCOPE, "part")
    assert cached(key, lambda: "old") == "old"
    assert cached(versioned_key(SCOPE, "part"), lambda: "recomputed") == "old"  # a hit
    before = scope_version(SCOPE)
    scope_bump(SCOPE)
    assert scope_version(SCOPE) > before
    assert direct.get(f"v:{SCOPE}") == scope_version(SCOPE)  # another process sees it
    assert cached(versioned_key(SCOPE, "part"), lambda: "new") == "new"


def test_reads_during_the_outage_go_to_the_source_and_store_nothing(behind):
    calls = []

    def compute() -> str:
        calls.append(1)
        return "value"

    behind.refuse()
    key = versioned_key(SCOPE, "local")
    assert key is None  # the version cannot be read: no key, so nothing can be stored
    for _ in range(3):
        assert cached_local(versioned_key(SCOPE, "local"), compute) == "value"
        assert cached(versioned_key(SCOPE, "shared"), compute) == "value"
    assert len(calls) == 6
    assert not [k for k in lms.cache._local if k.startswith(SCOPE)]

    behind.restore()
    wait_out_backoff()
    cached_local(versioned_key(SCOPE, "local"), compute)
    cached_local(versioned_key(SCOPE, "local"), compute)
    assert len(calls) == 7  # stored once Redis answers again


@pytest.mark.django_db
def test_a_bump_during_the_outage_is_applied_before_the_next_read(behind, direct):
    assert cached(versioned_key(SCOPE, "page"), lambda: "before the write") == "before the write"
    version = scope_version(SCOPE)

    behind.refuse()
    with transaction.atomic():
        scope_bump(SCOPE)  # the write succeeds; its bump cannot reach Redis
    assert pending_bumps() == {SCOPE}
    assert direct.get(f"v:{SCOPE}") == version  # Redis still holds the old version...
    # ...and the old entry: were the bump lost, the next read after the outage would hit it.
    assert direct.get(f"{SCOPE}:{version}:page") == "before the write"
    assert cached(versioned_key(SCOPE, "page"), lambda: "after the write") == "after the write"

    behind.restore()
    wait_out_backoff()
    assert cached(versioned_key(SCOPE, "page"), lambda: "after the write") == "after the write"
    assert pending_bumps() == set()
    assert direct.get(f"v:{SCOPE}") > version


@pytest.mark.django_db
def test_a_lost_bump_reaches_redis_without_any_read_from_this_process(behind, direct):
    version = scope_version(SCOPE)
    behind.refuse()
    with transaction.atomic():
        scope_bump(SCOPE)
    behind.restore()
    deadline = time.monotonic() + 10
    while pending_bumps() and time.monotonic() < deadline:  # the retry timer's work
        time.sleep(0.05)
    assert pending_bumps() == set()
    assert direct.get(f"v:{SCOPE}") > version  # what every other process reads


@pytest.mark.django_db
def test_another_process_that_saw_the_outage_applies_a_lost_bump_before_its_next_read(direct):
    """Two processes, each with its own link to Redis (and so its own outage state): the
    writer's bump is lost and the writer dies; the reader, back on Redis, finds the bump
    in the outbox and applies it before reading a version."""
    with RedisProxy(settings.REDIS_URL) as writer, RedisProxy(settings.REDIS_URL) as reader:
        with cache_through(reader, backoff=BACKOFF):
            assert cached(versioned_key(SCOPE, "page"), lambda: "old") == "old"
            version = scope_version(SCOPE)
        writer.refuse()
        reader.refuse()
        with cache_through(writer, backoff=BACKOFF), transaction.atomic():
            scope_bump(SCOPE)
        # cache_through's exit forgot the writer's pending bump and its retry: it died.
        with cache_through(reader, backoff=BACKOFF):
            assert cached(versioned_key(SCOPE, "page"), lambda: "new") == "new"  # the DB
            reader.restore()
            wait_out_backoff()
            assert cached(versioned_key(SCOPE, "page"), lambda: "new") == "new"
        assert direct.get(f"v:{SCOPE}") > version
        assert direct.get(f"{SCOPE}:{version}:page") == "old"  # the stale entry is still there


@pytest.mark.django_db
def test_a_lost_bump_is_in_the_outbox_with_the_change_and_the_relay_applies_it(behind, direct):
    version = scope_version(SCOPE)
    behind.refuse()
    with transaction.atomic():
        scope_bump(SCOPE, "tests:other")
    [message] = OutboxMessage.objects.filter(topic=BUMP_TOPIC)
    assert message.payload == {"scopes": [SCOPE, "tests:other"]}

    lms.cache.pending_bumps_clear()  # the process died: only the outbox remembers
    behind.restore()
    wait_out_backoff()
    assert outbox_relay() == 1  # eager in tests: lms.tasks.cache_bump_task runs here
    assert direct.get(f"v:{SCOPE}") > version


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_bump_in_the_outbox(behind):
    behind.refuse()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        scope_bump(SCOPE)
        1 / 0  # noqa: B018
    assert not OutboxMessage.objects.filter(topic=BUMP_TOPIC).exists()


@pytest.mark.django_db
def test_a_bump_after_commit_that_fails_is_recorded_on_its_own(
    behind, direct, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        scope_bump(SCOPE)  # reaches Redis
        behind.refuse()  # ...and Redis goes before the commit
    assert pending_bumps() == {SCOPE}
    [message] = OutboxMessage.objects.filter(topic=BUMP_TOPIC)
    assert message.payload == {"scopes": [SCOPE]}


@pytest.mark.django_db
def test_the_outbox_handler_fails_while_redis_is_still_down(behind):
    """So the relay keeps the message and tries again later."""
    behind.refuse()
    with transaction.atomic():
        scope_bump(SCOPE)
    lms.cache.pending_bumps_clear()
    assert outbox_relay() == 0
    message = OutboxMessage.objects.get(topic=BUMP_TOPIC)
    assert message.sent_at is None and message.attempts == 1
    assert "CacheUnavailable" in message.last_error
