"""Versioned cache of quiz blueprints: what starting an attempt draws from (the items,
their fixed questions, the draw pools with tags). Starting is the hot path of an exam:
hundreds of learners start the same quiz within a minute.

Every authoring write that changes a blueprint (questions, banks, items) bumps the
course's version (`quiz_cache_bump`), at once and again after commit, as
`courses.cache` does; readers build keys from the current version, so an entry written
before a change is never read again (entries expire on their own, TTL 120 s). The cache
fails open: without Redis every start reads the database.

Only the draw uses the blueprint; what a learner is shown (prompts, options) and what
is graded (keys) are always read from the database.
"""

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

CACHE_TTL_SECONDS = 120
VERSION_TTL_SECONDS = 24 * 60 * 60


def _version_key(course_id: int) -> str:
    return f"quizzes:v:course:{course_id}"


def _fresh_version() -> int:
    # Time-based, not 1: a lost version key cannot come back at a number already used.
    return time.time_ns() // 1000


def quiz_course_version(course_id: int) -> int:
    key = _version_key(course_id)
    version = cache.get(key)
    if version is None:
        version = _fresh_version()
        if not cache.add(key, version, VERSION_TTL_SECONDS):
            version = cache.get(key, version)
    return int(version)


def _bump(course_id: int) -> None:
    key = _version_key(course_id)
    try:
        cache.incr(key)
    except ValueError:  # missing: a fresh, larger version does the same job
        cache.set(key, _fresh_version(), VERSION_TTL_SECONDS)
    else:
        cache.touch(key, VERSION_TTL_SECONDS)


def quiz_cache_bump(course_id: int) -> None:
    """After a write to the course's questions, banks or quiz items (called by services)."""
    _bump(course_id)
    transaction.on_commit(lambda: _bump(course_id))


def blueprint_key(quiz_id: int, course_id: int) -> str:
    return f"quizzes:blueprint:{quiz_id}:{quiz_course_version(course_id)}"


def cached(key: str, compute: Callable[[], T], ttl: int = CACHE_TTL_SECONDS) -> T:
    value: Any = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ttl)
    return value  # type: ignore[no-any-return]
