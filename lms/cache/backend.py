"""The Redis cache backend of the platform: every operation fails open.

django-redis's IGNORE_EXCEPTIONS covers only the operations whose client method converts
Redis errors (`touch`, `expire`, `ttl` and others raise straight through), and it logs a
traceback per call when asked to log at all. This backend instead:

- catches every Redis or socket error of every operation and answers what a cache that
  holds nothing would (`get` its default, `add`/`set`/`touch` False, `incr` None, ...);
- opens an outage window on the first failure (`lms.cache.outage`): for `OUTAGE_BACKOFF`
  seconds (default 1) operations skip Redis altogether and answer at once, so a request
  doing ten cache operations against a dead Redis pays at most one connect timeout, and
  the window logs one line, not a traceback per call;
- when Redis answers again, runs `lms.cache.reapply_lost_bumps` before the first
  operation (so no version is read before the bumps it missed are back in Redis);
- offers `strict`, the same operations raising `CacheUnavailable` instead, for callers
  that must know a write did not land (the version bumps of `lms.cache`), `probe()` for
  readiness, and `incr_with_ttl()`, the throttles' counter in one round trip.

Not failed open, because they do no I/O when called: `client`, `lock()` (a lock that
silently does not lock would be worse than an error) and the `iter_keys`/`sscan_iter`
generators. Nothing in the project uses them.

Settings: OPTIONS IGNORE_EXCEPTIONS is forced off (this class handles them), and
OPTIONS OUTAGE_BACKOFF sets the window.
"""

import contextlib
import functools
import threading
from collections.abc import Callable
from typing import Any

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from lms.cache.outage import describe_error, outage_named, redact_url

# What "Redis cannot answer" looks like: redis-py's errors (connection, timeout, busy
# loading, read-only replica...), django-redis's wrapper of them, and bare socket errors.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (RedisError, ConnectionInterrupted, OSError)

DEFAULT_OUTAGE_BACKOFF = 1.0


class CacheUnavailable(ConnectionError):
    """Redis could not be reached (or is in a back-off window); the message says why.

    A ConnectionError, so Celery tasks (LmsTask.autoretry_for) retry on it."""


def _returns(value: Any) -> Callable[..., Any]:
    return lambda *args, **kwargs: value


def _get_fallback(key: Any, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return default


# What each operation answers while Redis is unavailable: what an empty cache would say.
# Fresh containers per call (a caller may mutate what it gets). Anything not listed: None.
_FALLBACKS: dict[str, Callable[..., Any]] = {
    "get": _get_fallback,
    "get_many": lambda *args, **kwargs: {},
    "set_many": lambda data, *args, **kwargs: list(data),  # the keys that were not set
    "keys": lambda *args, **kwargs: [],
    "hkeys": lambda *args, **kwargs: [],
    "delete_pattern": _returns(0),
    "scard": _returns(0),
    "hlen": _returns(0),
    **{
        name: _returns(False)
        for name in (
            "set",
            "add",
            "touch",
            "delete",
            "has_key",
            "expire",
            "expire_at",
            "pexpire",
            "pexpire_at",
            "persist",
            "sismember",
            "hexists",
        )
    },
    **{name: lambda *args, **kwargs: set() for name in ("smembers", "sdiff", "sinter", "sunion")},
}

# RedisCache members that do no I/O when called (see the module docstring).
NOT_FAILED_OPEN = frozenset({"client", "lock", "iter_keys", "sscan_iter"})


def _fail_open(name: str) -> Callable[..., Any]:
    fallback = _FALLBACKS.get(name, _returns(None))
    unguarded = getattr(RedisCache, name)

    @functools.wraps(unguarded)
    def method(self: "FailOpenRedisCache", *args: Any, **kwargs: Any) -> Any:
        try:
            return self._attempt(unguarded, self, *args, **kwargs)
        except CacheUnavailable:
            return fallback(*args, **kwargs)

    return method


class _Resuming(threading.local):
    active = False  # this thread is re-applying lost bumps: no second resume, no recovery


_resuming = _Resuming()


class _Strict:
    """`backend.strict.<op>(...)`: the operation, raising CacheUnavailable."""

    def __init__(self, backend: "FailOpenRedisCache") -> None:
        self._backend = backend

    def __getattr__(self, name: str) -> Callable[..., Any]:
        unguarded = getattr(RedisCache, name)
        method = functools.partial(self._backend._attempt, unguarded, self._backend)
        setattr(self, name, method)  # found without __getattr__ from now on
        return method


class FailOpenRedisCache(RedisCache):  # type: ignore[misc]
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS", {}))
        backoff = float(options.pop("OUTAGE_BACKOFF", DEFAULT_OUTAGE_BACKOFF))
        options["IGNORE_EXCEPTIONS"] = False  # raised to _attempt, which handles them all
        super().__init__(server, {**params, "OPTIONS": options})
        # One state per Redis location, shared by every thread's instance.
        self.outage = outage_named(f"redis cache at {redact_url(str(server))}", backoff=backoff)
        self.strict = _Strict(self)

    def _attempt(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        outage = self.outage
        resuming = _resuming.active
        if outage.down and not resuming:
            if not outage.available():
                raise CacheUnavailable(outage.cause)
            self._resume()
        try:
            result = call(*args, **kwargs)
        except OUTAGE_ERRORS as exc:
            outage.failed(exc)
            raise CacheUnavailable(describe_error(exc)) from exc
        if not resuming:
            outage.recovered()
        return result

    def _resume(self) -> None:
        """The first operation after an outage: is Redis back? Then, before anything is
        read from it, re-apply every version bump that could not reach it (lms.cache).
        CacheUnavailable if Redis is still (or again) unreachable."""
        _resuming.active = True
        try:
            try:
                self.client.get_client(write=True).ping()
            except OUTAGE_ERRORS as exc:
                self.outage.failed(exc)
                raise CacheUnavailable(describe_error(exc)) from exc
            from lms.cache import reapply_lost_bumps  # lms.cache imports this module

            reapply_lost_bumps()
        finally:
            _resuming.active = False

    def _incr_with_ttl(self, key: str, ttl: int) -> int:
        full_key = self.client.make_key(key)
        pipe = self.client.get_client(write=True).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, ttl, nx=True)
        count, _ = pipe.execute()
        return int(count)

    def incr_with_ttl(self, key: str, ttl: int) -> int | None:
        """Adds one to a counter that expires `ttl` seconds after its first increment
        (INCR and EXPIRE NX in one round trip); None while Redis is unavailable."""
        try:
            return int(self._attempt(self._incr_with_ttl, key, ttl))
        except CacheUnavailable:
            return None

    def close(self, **kwargs: Any) -> None:
        # Called after every request; it does no I/O unless DJANGO_REDIS_CLOSE_CONNECTION
        # is set, so its success says nothing about Redis: no outage accounting.
        with contextlib.suppress(*OUTAGE_ERRORS):
            super().close(**kwargs)

    def probe(self) -> None:
        """Reaches Redis now, back-off window or not (readiness checks); CacheUnavailable
        naming the cause. A success does not end an outage window: the next operation
        does, after re-applying lost bumps."""
        try:
            self.client.get_client(write=True).ping()
        except OUTAGE_ERRORS as exc:
            self.outage.failed(exc)
            raise CacheUnavailable(describe_error(exc)) from exc


for _name, _member in vars(RedisCache).items():
    if _name.startswith("_") or _name in NOT_FAILED_OPEN or not callable(_member):
        continue
    if _name in vars(FailOpenRedisCache):  # failed open by hand above
        continue
    setattr(FailOpenRedisCache, _name, _fail_open(_name))
