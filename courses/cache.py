"""Versioned cache keys for catalogue pages, course detail and outline structure.

Every write to a course, its modules, lessons or staff bumps that course's version and the
global catalogue version (`course_cache_bump`); readers build keys from the current
versions, so the entries written before a change are never read again (they expire on
their own, TTL <= 120 s).

Versions start at a time-based value, not 1: if Redis loses a version key (eviction,
restart), the new one cannot collide with the numbers old entries were stored under.

The bump happens twice: at once (so reads later in the same transaction, and tests that
never commit, see the change) and again after commit (a reader that filled the cache from
the old rows between the first bump and the commit is superseded). A client's read after
its write's response therefore never sees old data.

The cache fails open (django-redis IGNORE_EXCEPTIONS): when Redis is down, versions read
as missing, nothing is stored, and every read goes to the database.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

CACHE_TTL_SECONDS = 120
VERSION_TTL_SECONDS = 24 * 60 * 60  # refreshed by every bump; far longer than any entry

_CATALOGUE_VERSION_KEY = "courses:v:catalogue"


def _course_version_key(course_id: int) -> str:
    return f"courses:v:course:{course_id}"


def _fresh_version() -> int:
    return time.time_ns() // 1000


def _read_version(key: str) -> int:
    version = cache.get(key)
    if version is None:
        version = _fresh_version()
        # add(): a concurrent reader that got there first wins; both then use its value.
        if not cache.add(key, version, VERSION_TTL_SECONDS):
            version = cache.get(key, version)
    return int(version)


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # missing key: a fresh, larger version does the same job
        cache.set(key, _fresh_version(), VERSION_TTL_SECONDS)
    else:
        cache.touch(key, VERSION_TTL_SECONDS)


def catalogue_version() -> int:
    return _read_version(_CATALOGUE_VERSION_KEY)


def course_version(course_id: int) -> int:
    return _read_version(_course_version_key(course_id))


def catalogue_cache_bump() -> None:
    """After writes that change catalogue pages but no single course (categories, tags)."""
    _bump(_CATALOGUE_VERSION_KEY)
    transaction.on_commit(lambda: _bump(_CATALOGUE_VERSION_KEY))


def course_cache_bump(course_id: int, *, catalogue: bool = True) -> None:
    """After any write to a course, its modules, lessons or staff (called by services).

    `catalogue=False` leaves catalogue pages alone (the enrollment counter: see
    course_enrollment_count_change)."""

    def bump() -> None:
        _bump(_course_version_key(course_id))
        if catalogue:
            _bump(_CATALOGUE_VERSION_KEY)

    bump()
    transaction.on_commit(bump)


def course_cache_key(course_id: int, part: str) -> str:
    return f"courses:course:{course_id}:{course_version(course_id)}:{part}"


def catalogue_cache_key(fingerprint: str) -> str:
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return f"courses:catalogue:{catalogue_version()}:{digest}"


def cached(key: str, compute: Callable[[], T], ttl: int = CACHE_TTL_SECONDS) -> T:
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


def cached_local(key: str, compute: Callable[[], T], ttl: int = CACHE_TTL_SECONDS) -> T:
    """`cached` with the in-process layer in front; for immutable values only (bytes,
    numbers), since every request of the process shares the same object."""
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
