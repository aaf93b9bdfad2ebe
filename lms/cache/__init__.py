"""One versioned cache for every app (courses, quizzes, and those to come).

An app names *scopes* (`"courses:course:12"`, `"courses:catalogue"`,
`"quizzes:course:12"`): each has a version number in the cache, and every entry that
depends on a scope is stored under a key that contains its current version
(`versioned_key`). A write calls `scope_bump`, which moves the version forward, so the
entries written before the change are never read again (they expire on their own after
`CACHE_TTL_SECONDS`).

- Versions start at a time-based value, not 1: if Redis loses a version key (eviction,
  restart), the new one cannot come back at a number old entries were stored under.
- A bump happens twice: at once (reads later in the same transaction, and tests that
  never commit, see the change) and again after commit (a reader that filled the cache
  from the old rows between the first bump and the commit is superseded). A client's read
  after its write's response therefore never sees old data.

Redis down (docs/decisions/0013-redis-down.md). The backend fails open
(`lms.cache.backend`); on top of it this module keeps one rule: *a version that cannot be
read is never guessed, and a bump that cannot be written is never lost*.

- Reading: when a scope's version cannot be read, `versioned_key` returns None, and
  `cached`/`cached_local` then compute from the database and store nothing, neither in
  Redis nor in the process: nothing read during an outage outlives it.
- Writing: a bump that does not reach Redis is remembered in this process and written to
  the transactional outbox (topic `cache.bump`, in the write's own transaction).
- Coming back: every process that saw the outage, at its first cache operation once
  Redis answers and before that operation, re-applies its own remembered bumps and every
  undelivered `cache.bump` in the outbox (`reapply_lost_bumps`, one indexed query). The
  writer also retries on a timer (every `BUMP_RETRY_SECONDS`) whether or not a request
  comes, and the outbox relay delivers the row to `lms.tasks.cache_bump_task` in any
  case, so a bump survives the death of the process that made it. Re-applying is
  harmless: a bump only moves forward.
"""

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

from lms.cache.backend import CacheUnavailable

__all__ = [
    "BUMP_TOPIC",
    "CACHE_TTL_SECONDS",
    "CacheUnavailable",
    "cache_probe",
    "cached",
    "cached_local",
    "key_digest",
    "pending_bumps",
    "pending_bumps_clear",
    "reapply_lost_bumps",
    "scope_bump",
    "scope_bump_now",
    "scope_version",
    "versioned_key",
]

T = TypeVar("T")
logger = logging.getLogger(__name__)

CACHE_TTL_SECONDS = 120
VERSION_TTL_SECONDS = 24 * 60 * 60  # refreshed by every bump; far longer than any entry
BUMP_RETRY_SECONDS = 1.0
BUMP_TOPIC = "cache.bump"


def _strict() -> Any:
    # The platform's Redis backend raises CacheUnavailable through `strict`; the embedded
    # default (local memory) never fails and has no `strict`.
    return getattr(cache, "strict", cache)


def _version_key(scope: str) -> str:
    return f"v:{scope}"


def _fresh_version() -> int:
    return time.time_ns() // 1000


def key_digest(text: str) -> str:
    """A short fixed-length key part for long or arbitrary text (query fingerprints)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def cache_probe() -> None:
    """For readiness: reaches the cache now, whatever its back-off; raises with the cause
    (`CacheUnavailable: ConnectionError: Error 111 connecting to ... Connection refused.`)."""
    probe = getattr(cache, "probe", None)
    if probe is not None:
        probe()
    elif not cache.add("health:probe", "ok", 10) and cache.get("health:probe") != "ok":
        raise CacheUnavailable("the cache did not keep a value")


# --- versions ---------------------------------------------------------------------------


def scope_version(scope: str) -> int | None:
    """The scope's current version; None when the cache cannot say (Redis unavailable)."""
    if _pending and not _apply_pending():
        return None  # a lost bump is not yet back in Redis: its version cannot be trusted
    strict, key = _strict(), _version_key(scope)
    try:
        version = strict.get(key)
        if version is None:
            version = _fresh_version()
            # add(): a concurrent reader that got there first wins; both then use its value.
            if not strict.add(key, version, VERSION_TTL_SECONDS):
                version = strict.get(key, version)
    except CacheUnavailable:
        return None
    return int(version)


def versioned_key(scope: str, *parts: str) -> str | None:
    """`<scope>:<version>:<parts...>`, or None when the version cannot be read."""
    version = scope_version(scope)
    if version is None:
        return None
    return ":".join((scope, str(version), *parts))


def _bump_now(scope: str) -> None:
    strict, key = _strict(), _version_key(scope)
    try:
        strict.incr(key)
    except ValueError:  # missing key: a fresh, larger version does the same job
        strict.set(key, _fresh_version(), VERSION_TTL_SECONDS)
    else:
        strict.touch(key, VERSION_TTL_SECONDS)


def scope_bump_now(scopes: Iterable[str]) -> None:
    """Moves each scope's version forward now; CacheUnavailable if Redis cannot be reached.

    For the outbox handler; services call `scope_bump`."""
    for scope in scopes:
        _bump_now(scope)


def scope_bump(*scopes: str) -> None:
    """After a write that changes what the scopes' entries show (called by services):
    bumps at once and again after commit, never raises, never loses a bump."""
    immediate_ok = _bump_or_remember(scopes)
    if not immediate_ok:
        _record_durably(scopes)  # in the caller's transaction: commits with the change

    def after_commit() -> None:
        if not _bump_or_remember(scopes) and immediate_ok:
            _record_durably(scopes)

    transaction.on_commit(after_commit)


def _bump_or_remember(scopes: tuple[str, ...]) -> bool:
    for index, scope in enumerate(scopes):
        try:
            _bump_now(scope)
        except CacheUnavailable:
            _remember(scopes[index:])
            return False
    return True


def _record_durably(scopes: tuple[str, ...]) -> None:
    from lms.outbox.services import outbox_publish  # an app's models: import when needed

    try:
        with transaction.atomic():
            outbox_publish(topic=BUMP_TOPIC, payload={"scopes": list(scopes)})
    except Exception:
        # The change itself is written; the in-process retry still holds the bump. Failing
        # the request here would report a committed write as an error.
        logger.exception("cache bump not recorded in the outbox", extra={"scopes": scopes})


# --- bumps that did not reach Redis -------------------------------------------------------

# scope -> generation: a scope bumped again while its retry runs stays pending.
_pending: dict[str, int] = {}
_pending_lock = threading.Lock()
_retry_timer: threading.Timer | None = None


def pending_bumps() -> set[str]:
    """Scopes whose last bump has not reached Redis yet (in this process)."""
    with _pending_lock:
        return set(_pending)


def _remember(scopes: Iterable[str]) -> None:
    with _pending_lock:
        for scope in scopes:
            _pending[scope] = _pending.get(scope, 0) + 1
        _schedule_retry()


def _apply_pending() -> bool:
    """Re-applies the remembered bumps; False while Redis still cannot be reached."""
    with _pending_lock:
        todo = list(_pending.items())
    for scope, generation in todo:
        try:
            _bump_now(scope)
        except CacheUnavailable:
            return False
        with _pending_lock:
            if _pending.get(scope) == generation:
                del _pending[scope]
    return True


def reapply_lost_bumps() -> None:
    """Run by the cache backend when this process reaches Redis again after an outage,
    before the operation that found it back: re-applies the bumps this process could not
    make, and those any process recorded in the outbox and the relay has not yet
    delivered. So a process that saw the outage reads nothing written before a change it
    missed. CacheUnavailable if Redis goes again meanwhile."""
    scopes = _outbox_scopes()
    if not _apply_pending():
        raise CacheUnavailable("redis unavailable while re-applying lost bumps")
    scope_bump_now(sorted(scopes))


def _outbox_scopes(limit: int = 10_000) -> set[str]:
    from lms.outbox.models import OutboxMessage  # an app's models: import when needed

    try:
        # A savepoint: a failing read must not abort the caller's transaction.
        with transaction.atomic():
            payloads = list(
                OutboxMessage.objects.filter(topic=BUMP_TOPIC, sent_at__isnull=True)
                .order_by()
                .values_list("payload", flat=True)[:limit]
            )
    except Exception:  # no database here (or now): this process's own bumps still count
        return set()
    return {str(scope) for payload in payloads for scope in payload.get("scopes", ())}


def _schedule_retry() -> None:
    # Called with _pending_lock held. One timer at a time; it re-arms while bumps remain.
    global _retry_timer
    if _retry_timer is None and _pending:
        _retry_timer = threading.Timer(BUMP_RETRY_SECONDS, _retry)
        _retry_timer.daemon = True
        _retry_timer.start()


def _retry() -> None:
    global _retry_timer
    try:
        _apply_pending()
    finally:
        with _pending_lock:
            _retry_timer = None
            _schedule_retry()


def pending_bumps_clear() -> None:
    """Tests only: drop what a test's outage left behind."""
    global _retry_timer
    with _pending_lock:
        _pending.clear()
        if _retry_timer is not None:
            _retry_timer.cancel()
            _retry_timer = None


# --- cached reads ------------------------------------------------------------------------


def cached(key: str | None, compute: Callable[[], T], ttl: int = CACHE_TTL_SECONDS) -> T:
    """The value under `key`, computed and stored on a miss; with no key (the version
    could not be read) computed and not stored. None is never stored: it reads as a miss."""
    if key is None:
        return compute()
    value: Any = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value  # type: ignore[no-any-return]


# Rendered bodies (and other small immutable values) are also kept in this process, a
# small LRU, under the same versioned keys: the version is still read from Redis on every
# request, so a write anywhere is seen at once, but a hit skips the second round trip and
# the unpickling.
LOCAL_MAX_ENTRIES = 512
_local: OrderedDict[str, tuple[float, Any]] = OrderedDict()
_local_lock = threading.Lock()


def cached_local(key: str | None, compute: Callable[[], T], ttl: int = CACHE_TTL_SECONDS) -> T:
    """`cached` with the in-process layer in front; for immutable values only (bytes,
    numbers), since every request of the process shares the same object."""
    if key is None:
        return compute()
    now = time.monotonic()
    with _local_lock:
        hit = _local.get(key)
        if hit is not None and hit[0] > now:
            _local.move_to_end(key)
            return hit[1]  # type: ignore[no-any-return]
    value = cached(key, compute, ttl)
    with _local_lock:
        _local[key] = (now + ttl, value)
        _local.move_to_end(key)
        while len(_local) > LOCAL_MAX_ENTRIES:
            _local.popitem(last=False)
    return value
