"""The runner's own parts: the Lua replay under real wrk, the query counter, the DRF
cursor it builds, the targets it judges and the regressions bench/compare reports."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request as DrfRequest
from rest_framework.test import APIRequestFactory

from bench.middleware import QUERY_COUNT_HEADER, QueryCountMiddleware
from bench.runner.compare import regressions
from bench.runner.report import targets
from bench.runner.scenarios import drf_cursor, twin_path
from bench.runner.wrk import Request, run_wrk


class _Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str | None, str]] = []
    lock = threading.Lock()

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with self.lock:
            self.seen.append((self.command, self.path, self.headers.get("Authorization"), body))
        self.send_response(200 if self.path != "/fail" else 500)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _record

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder() -> Any:
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.wrk
def test_wrk_replays_each_request_exactly(recorder: str) -> None:
    tricky = '{"a": "quote \\" back\\\\slash", "b": "line\\nbreak"}'
    requests = [
        Request(
            "POST",
            f"/item/{i}",
            {"Authorization": f"Bearer t{i}", "Content-Type": "application/json"},
            tricky,
        )
        for i in range(30000)
    ]
    result = run_wrk(base_url=recorder, requests=requests, duration_s=1, connections=4, threads=2)
    seen = _Recorder.seen
    assert result["requests"] >= 10 and result["errors"]["status"] == 0
    # Every recorded request is one of the list, intact; while the list lasts (each thread
    # owns every other request), the two threads never send the same one.
    assert all(
        body == tricky and auth == f"Bearer t{path.rsplit('/', 1)[1]}"
        for _, path, auth, body in seen
    )
    assert len(seen) < len(requests) // 2
    assert len({path for _, path, _, _ in seen}) == len(seen)


@pytest.mark.wrk
def test_wrk_counts_error_statuses(recorder: str) -> None:
    result = run_wrk(
        base_url=recorder,
        requests=[Request("GET", "/fail")],
        duration_s=1,
        connections=2,
        threads=1,
    )
    assert result["requests"] > 0 and result["errors"]["status"] == result["requests"]


@pytest.mark.django_db
def test_query_counter_counts_only_when_asked() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        with connection.cursor() as cursor:
            for _ in range(3):
                cursor.execute("SELECT 1")
        return JsonResponse({})

    middleware = QueryCountMiddleware(view)
    plain = HttpRequest()
    assert QUERY_COUNT_HEADER not in middleware(plain)
    asked = HttpRequest()
    asked.META["HTTP_X_BENCH_QUERIES"] = "1"
    assert middleware(asked)[QUERY_COUNT_HEADER] == "3"


def test_drf_cursor_decodes_as_drf_does() -> None:
    paginator = CursorPagination()
    request = DrfRequest(APIRequestFactory().get("/", {"cursor": drf_cursor(12345)}))
    cursor = paginator.decode_cursor(request)
    assert cursor is not None
    assert (cursor.offset, cursor.reverse, cursor.position) == (0, False, "12345")


def test_twin_paths() -> None:
    assert twin_path("/api/v1/courses/?page=2", "raw") == "/bench/raw/courses/?page=2"
    assert twin_path("/api/v1/lessons/3/complete/", "naive") == "/bench/naive/lessons/3/complete/"
    assert twin_path("/api/v1/courses/", "real") == "/api/v1/courses/"


def _result(
    scenario: str, variant: str, rps: float, p99: float = 10.0, **extra: Any
) -> dict[str, Any]:
    return {"scenario": scenario, "variant": variant, "rps": rps, "p99_ms": p99, **extra}


def test_targets_compute_ratios_against_the_baselines() -> None:
    results = [
        _result("floor", "floor", 1000),
        _result("catalogue", "real", 600, queries_by_page_size={"5": 2, "50": 2}),
        _result("catalogue", "raw", 800),
        _result("catalogue", "naive", 100),
        _result("lesson_complete", "real", 50),
        _result("lesson_complete", "raw", 100),
        _result("roster_page1", "real", 500, queries_by_page_size={"5": 3, "50": 4}),
        _result("roster_deep", "real", 400),
        _result("mixed", "paced", 300, p99=60.0, load_fraction=0.7),
    ]
    by_name = {t["target"]: t for t in targets(results)}
    assert by_name["catalogue: real / raw req/s"] == {
        "target": "catalogue: real / raw req/s",
        "value": 0.75,
        "goal": ">= 0.7",
        "met": True,
    }
    assert by_name["catalogue: real / naive req/s"]["value"] == 6.0
    assert by_name["catalogue: real / floor req/s"]["met"] is True
    assert by_name["lesson_complete: real / raw req/s"]["met"] is False
    assert by_name["roster: page 1 / deep page req/s"]["value"] == 1.25
    assert by_name["roster: page 1 / deep page req/s"]["met"] is False
    assert by_name["catalogue: queries at page_size 5 / 50"]["met"] is True
    assert by_name["roster_page1: queries at page_size 5 / 50"]["met"] is False
    assert by_name["mixed: p99 at 70% of max throughput (ms)"]["met"] is False


def test_compare_reports_slowdowns_beyond_the_threshold_only() -> None:
    def run(rps: float, p99: float, raw: float = 1000) -> dict[str, Any]:
        return {
            "meta": {"commit": "x"},
            "results": [
                _result("catalogue", "real", rps, p99, queries=2),
                _result("catalogue", "raw", raw),
            ],
        }

    assert regressions(run(900, 10), run(850, 10.5), threshold=10) == []
    found = regressions(run(900, 10), run(700, 15), threshold=10)
    assert "catalogue/real: req/s 900.0 -> 700.0" in found
    assert "catalogue/real: p99 10.00 ms -> 15.00 ms" in found
    assert "catalogue: real / raw req/s: 0.9 -> 0.7" in found
    # Both slower by the same factor (a noisy machine): the ratio holds.
    assert not [
        f for f in regressions(run(900, 10), run(450, 10, raw=500), 10) if "real / raw" in f
    ]
