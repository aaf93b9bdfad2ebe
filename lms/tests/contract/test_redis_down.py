"""Redis down degrades the cache, never the request (docs/decisions/0013-redis-down.md).

A real server process (granian, as the Dockerfile runs it) on PostgreSQL, with its Redis
behind a proxy that plays dead. Every read of the catalogue is made once with Redis up
(the caches are warm), then Redis goes away, then every write operation of the OpenAPI
document is called once with a valid body as the right role: none answers >= 500 and
each succeeds. Redis comes back, and the next read of everything answers what a server
with a cold cache answers: no write made during the outage is hidden by an old entry.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import redis
from django.conf import settings
from django.db import connection

from lms.testing import Cast
from lms.testing.redis_proxy import RedisProxy
from lms.testing.servers import granian_server
from lms.tests.contract.checks import contract_problems
from lms.tests.contract.conftest import payer, stripe_environment
from lms.tests.contract.world import Api, Call, build_world, operations

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
WRITE_METHODS = {"post", "put", "patch", "delete"}
# Different in every call by design: fresh tokens, signed links, clocks.
VOLATILE_KEYS = {"access", "refresh", "url", "download_url", "expires_at", "generated_at"}


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _server_environment(redis_url: str, tmp_path: Path, stripe: dict[str, Any]) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.tests.contract.server_settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "JWT_SIGNING_KEY": str(settings.SIMPLE_JWT["SIGNING_KEY"]),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": "lms-contract",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ASSIGNMENTS_FILES_ROOT": str(tmp_path / "private"),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        **{name: str(value) for name, value in stripe.items()},
    }
    for scope in ("ANON", "USER", "AUTH", "UPLOADS", "SUBMISSIONS"):
        env[f"THROTTLE_{scope}"] = "100000/min"
    return env


def app_server(env: dict[str, str], log: Path) -> Any:
    # One worker: the freshness rule is per process (decision 0013); 2 threads.
    return granian_server(env, log, workers=1, threads=2)


def _stable(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("http://127.0.0.1:"):
        link = urlparse(value)  # the two servers listen on different ports
        return f"{link.path}?{link.query}"
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _diff(hot: Any, cold: Any, path: str = "") -> list[str]:
    """Where two bodies differ, as `path: hot != cold` lines."""
    if isinstance(hot, dict) and isinstance(cold, dict):
        return [
            d
            for k in hot.keys() | cold.keys()
            for d in _diff(hot.get(k), cold.get(k), f"{path}/{k}")
        ]
    if isinstance(hot, list | tuple) and isinstance(cold, list | tuple) and len(hot) == len(cold):
        return [
            d
            for i, (h, c) in enumerate(zip(hot, cold, strict=True))
            for d in _diff(h, c, f"{path}/{i}")
        ]
    return [] if hot == cold else [f"{path}: {hot!r} != {cold!r}"]


def _reads(api: Api, calls: list[Call]) -> dict[str, Any]:
    out = {}
    for call in calls:
        answer = api.call(call.role, "get", call.path)
        json_body = "json" in answer.content_type and answer.content
        out[call.path] = (answer.status_code, _stable(answer.json()) if json_body else None)
    return out


def test_every_write_survives_a_redis_outage_and_nothing_stale_is_read_after(
    cast: Cast, stripe_servers: Any, settings: Any, tmp_path: Path
) -> None:
    stripe = stripe_environment(stripe_servers)
    for name, value in stripe.items():
        setattr(settings, name, value)
    world = build_world(Api(cast), pay=payer(stripe_servers[0]))
    calls = operations(world)
    reads = [c for c in calls if c.method == "get" and c.expect[0] < 300]
    writes = [c for c in calls if c.method in WRITE_METHODS]

    # This server's own Redis database, emptied: what it reads from the cache, it stored.
    real = urlparse(settings.REDIS_URL)
    server_db = 13 if real.path.strip("/") != "13" else 12
    direct_url = f"redis://{real.hostname}:{real.port or 6379}/{server_db}"
    redis.Redis.from_url(direct_url).flushdb()
    proxy = RedisProxy(settings.REDIS_URL)
    env = _server_environment(proxy.url(server_db), tmp_path, stripe)
    try:
        with app_server(env, tmp_path / "server.log") as base:
            api = world.api(base)
            _reads(api, reads)  # warm every cache
            proxy.refuse()
            broken = []
            for call in writes:
                where = f"{call.method.upper()} {call.template} (Redis down)"
                try:
                    answer = api.call(call.role, call.method, call.path, call.body, call.fmt)
                except AssertionError as exc:  # a step that prepares the body failed
                    broken.append(f"{where}: preparing the call: {exc}")
                    continue
                broken += contract_problems(answer, where)
                if answer.status_code not in call.expect and answer.status_code < 500:
                    broken.append(f"{where}: {answer.status_code} {answer.content[:200]!r}")
            assert broken == [], "\n".join(broken)
            proxy.restore()
            after_outage = _reads(api, reads)
    finally:
        proxy.close()

    # The truth: a second server with an empty cache reads everything from the database.
    redis.Redis.from_url(direct_url).flushdb()
    with app_server(
        _server_environment(direct_url, tmp_path, stripe), tmp_path / "cold.log"
    ) as base:
        cold = _reads(world.api(base), reads)
    stale = {path: _diff(after_outage[path], cold[path]) for path in cold}
    stale = {path: lines for path, lines in stale.items() if lines}
    assert stale == {}, f"reads that still answer what was cached before the outage: {stale}"
