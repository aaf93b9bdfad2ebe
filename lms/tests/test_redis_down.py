"""Redis down degrades, never breaks (docs/decisions/0013-redis-down.md): the writes that
used to answer 500 answer 2xx, the next read after Redis returns is fresh, throttles fail
open with one log line, lockout, sessions and WebSocket tickets hold, a broker outage
does not reach the request, and `seed_demo` runs.

Real Redis throughout: the cache (and, where said, the broker) reaches it through a
loopback proxy that refuses connections, as a closed port does.
"""

import logging
import time
from collections.abc import Iterator
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from courses.cache import course_scope
from courses.models import Course
from lms.cache import pending_bumps
from lms.cache.backend import FailOpenRedisCache
from lms.outbox.models import OutboxMessage
from lms.testing import client_for, make_course
from lms.testing.redis_proxy import RedisProxy, cache_through

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

BACKOFF = 0.2


@pytest.fixture
def proxy() -> Iterator[RedisProxy]:
    with RedisProxy(settings.REDIS_URL) as running, cache_through(running, backoff=BACKOFF):
        yield running


@pytest.fixture
def redis_down(proxy: RedisProxy) -> RedisProxy:
    proxy.refuse()
    return proxy


@pytest.fixture
def outage_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def assert_one_line_per_outage(caplog: pytest.LogCaptureFixture, dependency: str) -> None:
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "lms.outage" and r.levelno == logging.WARNING
    ]
    assert len(lines) == 1 and lines[0].startswith(dependency), lines
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_course_and_enrollment_writes_answer_2xx(cast, redis_down, outage_log):
    admin, owner = client_for(cast.admin), client_for(cast.owner)
    assert admin.post("/api/v1/categories/", {"name": "Data"}).status_code == 201
    assert admin.post("/api/v1/tags/", {"name": "SQL"}).status_code == 201

    created = owner.post("/api/v1/courses/", {"title": "Written while Redis is down"})
    assert created.status_code == 201, created.content
    base = f"/api/v1/courses/{created.json()['data']['slug']}/"
    module = owner.post(f"{base}modules/", {"title": "First module"})
    assert module.status_code == 201, module.content
    lesson = owner.post(
        f"{base}lessons/",
        {"module": module.json()["data"]["id"], "title": "First lesson", "duration_minutes": 5},
    )
    assert lesson.status_code == 201, lesson.content
    assert owner.patch(base, {"subtitle": "Edited"}).status_code == 200
    assert owner.get(base).json()["data"]["subtitle"] == "Edited"  # from the database

    course = make_course(cast)
    enroll = client_for(cast.student).post(f"/api/v1/courses/{course.slug}/enroll/")
    assert enroll.status_code == 201, enroll.content
    roster = owner.post(
        f"/api/v1/courses/{course.slug}/enrollments/", {"email": cast.other_student.email}
    )
    assert roster.status_code == 201, roster.content
    assert_one_line_per_outage(outage_log, "redis cache at")


def test_the_next_read_after_redis_returns_is_fresh(cast, proxy):
    course = make_course(cast)
    reader, owner = client_for(None), client_for(cast.owner)
    base = f"/api/v1/courses/{course.slug}/"

    def read() -> tuple[str, str, list[str]]:
        detail = reader.get(base).json()["data"]["subtitle"]
        [listed] = [
            c for c in reader.get("/api/v1/courses/").json()["data"] if c["id"] == course.pk
        ]
        outline = reader.get(f"{base}outline/").json()["data"]["modules"][0]["lessons"]
        return detail, listed["subtitle"], [lesson["title"] for lesson in outline]

    old = read()  # cached in Redis now
    version = FailOpenRedisCache(settings.REDIS_URL, {"KEY_PREFIX": settings.CACHE_KEY_PREFIX}).get(
        f"v:{course_scope(course.pk)}"
    )

    proxy.refuse()
    assert owner.patch(base, {"subtitle": "Changed in the outage"}).status_code == 200
    lesson_id = reader.get(f"{base}outline/").json()["data"]["modules"][0]["lessons"][0]["id"]
    renamed = owner.patch(f"{base}lessons/{lesson_id}/", {"title": "Renamed in the outage"})
    assert renamed.status_code == 200
    during = read()
    assert during[0] == during[1] == "Changed in the outage"
    assert during[2][0] == "Renamed in the outage"
    assert course_scope(course.pk) in pending_bumps()

    proxy.restore()
    time.sleep(BACKOFF * 1.5)
    assert read() == during != old
    assert pending_bumps() == set()
    direct = FailOpenRedisCache(settings.REDIS_URL, {"KEY_PREFIX": settings.CACHE_KEY_PREFIX})
    assert direct.get(f"v:{course_scope(course.pk)}") > version  # what other processes read


def test_throttles_fail_open_with_one_log_line(proxy, outage_log, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = client_for(None)
    statuses = [client.get("/api/v1/courses/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # counted in Redis while it answers

    proxy.refuse()
    assert {client.get("/api/v1/courses/").status_code for _ in range(10)} == {200}
    assert_one_line_per_outage(outage_log, "redis cache at")


def test_lockout_holds(redis_down):
    user = UserFactory()
    client = Client()
    login = "/api/v1/auth/login/"
    for _ in range(settings.LOCKOUT_THRESHOLD):
        wrong = client.post(login, {"email": user.email, "password": "wrong"}, "application/json")
        assert wrong.status_code == 401
    right = client.post(login, {"email": user.email, "password": TEST_PASSWORD}, "application/json")
    assert right.status_code == 401  # locked: the count lives in the database
    user.refresh_from_db()
    assert user.is_locked()


def test_sessions_and_websocket_tickets_hold(cast, redis_down):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    pages = Client()
    pages.force_login(cast.owner)
    assert pages.get("/instructor/").status_code == 200

    from accounts.services.sessions import ws_ticket_redeem

    issued = client_for(cast.student).post("/api/v1/auth/ws-ticket/")
    assert issued.status_code == 201
    assert ws_ticket_redeem(ticket=issued.json()["data"]["ticket"]) == cast.student


def test_a_broker_outage_does_not_reach_the_request(
    cast, redis_down, outage_log, monkeypatch, django_capture_on_commit_callbacks
):
    """The write's outbox message commits with it; the relay nudge fails once, is logged
    once, and is then skipped while the scheduled relay takes over."""
    from lms.outbox.tests.conftest import publishing_to

    courses = [make_course(cast) for _ in range(3)]
    with publishing_to(redis_down.url(), monkeypatch):
        for course in courses:
            with django_capture_on_commit_callbacks(execute=True):
                response = client_for(cast.student).post(f"/api/v1/courses/{course.slug}/enroll/")
            assert response.status_code == 201, response.content
    broker_lines = [
        r
        for r in outage_log.records
        if r.name == "lms.outage" and r.getMessage().startswith("celery broker")
    ]
    assert len(broker_lines) == 1
    assert not [r for r in outage_log.records if r.exc_info]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).exclude(topic="cache.bump").exists()


def test_seed_demo_runs(redis_down, settings):
    settings.DEBUG = True  # seed_demo refuses to run on a production configuration
    call_command("seed_demo", stdout=StringIO())
    assert Course.objects.filter(status=Course.Status.PUBLISHED).exists()
