"""bench/run [--scale smoke|full] [--only NAME[,NAME]] [--duration 10s] ...

Prepares the bench database, serves the app as production does, runs every scenario and
its baselines with wrk, then writes bench/results/<date>-<scale>.json and the table
(bench/README.md for `full`)."""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.runner.server import (
    DEFAULT_DATABASES,
    DEFAULT_REDIS_URL,
    ROOT,
    WORKERS,
    app_server,
    database_create_if_missing,
    server_environment,
)
from bench.runner.wrk import Request, run_wrk

MIXED_CONNECTIONS = 100
MIXED_LOAD_FRACTION = 0.7
QUERY_HEADER = "X-Bench-Query-Count"


def seconds(text: str) -> float:
    return float(text.removesuffix("s"))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--scale", choices=("smoke", "full"), default="full")
    parser.add_argument("--only", default="", help="comma-separated scenario names (and mixed)")
    parser.add_argument("--duration", type=seconds, default=10.0, help="per timed run, e.g. 10s")
    parser.add_argument("--warmup", type=seconds, default=None, help="default: duration / 5")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reseed", action="store_true", help="seed again even when seeded")
    parser.add_argument("--output", type=Path, default=None, help="the JSON report's path")
    parser.add_argument(
        "--readme",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the table into bench/README.md (default: for full)",
    )
    return parser.parse_args(argv)


def prepare_database(scale: str, reseed: bool) -> None:
    from django.core.management import call_command

    from accounts.models import User
    from bench.seed import SCALES

    call_command("migrate", verbosity=0)
    seeded = User.objects.filter(email__endswith="@bench.test").count() == SCALES[scale].users
    if reseed or scale == "smoke" or not seeded:
        call_command("seed_bench", scale=scale, stdout=sys.stderr)


def probe(base_url: str, request: Request, extra_query: str = "") -> tuple[int, int | None]:
    """One instrumented request: (status, SQL queries it ran)."""
    path = request.path + (
        ("&" if "?" in request.path else "?") + extra_query if extra_query else ""
    )
    http = urllib.request.Request(
        base_url + path,
        data=request.body.encode() if request.body is not None else None,
        method=request.method,
        headers={**request.headers, "X-Bench-Queries": "1"},
    )
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            queries = response.headers.get(QUERY_HEADER)
            return response.status, int(queries) if queries is not None else None
    except urllib.error.HTTPError as error:
        return error.code, None


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    lat = result["latency_us"]
    errors = sum(result["errors"].values())
    return {
        "rps": round(result["requests"] / (result["duration_us"] / 1e6), 1),
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "mean_ms": round(lat["mean"] / 1000, 2),
        "errors": errors,
        "requests": result["requests"],
        "distinct_requests": result["distinct_requests"],
        "error_detail": result["errors"],
    }


def run_scenario(
    args: argparse.Namespace, base_url: str, scenario: Any, variant: str
) -> dict[str, Any]:
    requests = scenario.build(variant)
    warm, probe_request, timed = requests, requests[0], requests
    if scenario.kind == "write":  # a lesson completes once: warm-up, probe and run get their own
        cut = max(1, len(requests) // 5)
        warm, probe_request, timed = requests[:cut], requests[cut], requests[cut + 1 :]
    connections = args.connections
    run_wrk(
        base_url=base_url,
        requests=warm,
        duration_s=args.warmup,
        connections=connections,
        threads=args.threads,
    )
    status, queries = probe(base_url, probe_request)
    entry: dict[str, Any] = {
        "scenario": scenario.name,
        "title": scenario.title,
        "variant": variant,
        "path": probe_request.path,
        "probe_status": status,
        "queries": queries,
    }
    if scenario.page_size_param and variant == "real":
        entry["queries_by_page_size"] = {
            str(size): probe(base_url, probe_request, f"page_size={size}")[1] for size in (5, 50)
        }
    result = run_wrk(
        base_url=base_url,
        requests=timed,
        duration_s=args.duration,
        connections=connections,
        threads=args.threads,
    )
    entry.update(summarise(result))
    # Each wrk thread owns every n-th request: a thread can run out before the total does.
    entry["exhausted"] = scenario.kind == "write" and result["requests"] > 0.9 * len(timed)
    if not 200 <= status < 300:
        entry["errors"] += 1
    return entry


def run_mixed(
    args: argparse.Namespace, base_url: str, scenarios: list[Any]
) -> list[dict[str, Any]]:
    """Max throughput with 100 connections, then paced to 70 % of it for the p99."""
    from bench.runner.scenarios import mixed_requests

    requests = mixed_requests(scenarios)
    common = {
        "base_url": base_url,
        "requests": requests,
        "connections": MIXED_CONNECTIONS,
        "threads": args.threads,
    }
    run_wrk(duration_s=args.warmup, **common)
    top = summarise(run_wrk(duration_s=args.duration, **common))
    target = MIXED_LOAD_FRACTION * top["rps"]
    # Each connection sends, waits for the answer, then waits `delay`: rate = connections /
    # (delay + latency). Calibrate the delay once on a short run, then measure.
    delay_ms = 1000 * MIXED_CONNECTIONS / target
    trial = summarise(run_wrk(duration_s=max(2.0, args.duration / 2), delay_ms=delay_ms, **common))
    delay_ms = max(0.0, delay_ms - 1000 * MIXED_CONNECTIONS * (1 / trial["rps"] - 1 / target))
    paced = summarise(run_wrk(duration_s=args.duration, delay_ms=delay_ms, **common))
    base = {"scenario": "mixed", "title": "mixed reads, 100 connections"}
    return [
        {**base, "variant": "max", **top},
        {
            **base,
            "variant": "paced",
            "delay_ms": round(delay_ms, 1),
            "load_fraction": round(paced["rps"] / top["rps"], 3),
            **paced,
        },
    ]


def machine() -> dict[str, Any]:
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
    }


def git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    args.warmup = args.warmup if args.warmup is not None else max(1.0, args.duration / 5)
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASES[args.scale]
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    env = server_environment(database_url=database_url, redis_url=redis_url)
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DJANGO_SETTINGS_MODULE",
                "DATABASE_URL",
                "REDIS_URL",
                "CACHE_KEY_PREFIX",
                "SECRET_KEY",
            )
        }
    )
    database_create_if_missing(database_url)

    import django
    import redis

    django.setup()
    from bench.runner.scenarios import Dataset, build_scenarios

    started = time.monotonic()
    prepare_database(args.scale, args.reseed)
    redis.Redis.from_url(redis_url).flushdb()  # a cold, private cache and broker
    full = args.scale == "full"
    # 600 x 13 text lessons (the lessons completed by request) keep about the 8,000 fresh
    # completions 400 x 20 lessons gave before video lessons stopped completing on request.
    data = Dataset(learners=200 if full else 30, write_enrollments=600 if full else 60).load()
    scenarios = build_scenarios(data)
    only = {name for name in args.only.split(",") if name}
    unknown = only - {s.name for s in scenarios} - {"mixed"}
    if unknown:
        print(f"unknown scenarios: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    selected = [s for s in scenarios if not only or s.name in only]

    results: list[dict[str, Any]] = []
    log_path = ROOT / "bench" / "results" / f"server-{args.scale}.log"
    log_path.parent.mkdir(exist_ok=True)
    with app_server(env=env, log_path=log_path) as base_url:
        for scenario in selected:
            for variant in scenario.variants:
                entry = run_scenario(args, base_url, scenario, variant)
                results.append(entry)
                print(
                    f"{scenario.name:18} {variant:6} {entry['rps']:9.1f} req/s  "
                    f"p99 {entry['p99_ms']:7.2f} ms  errors {entry['errors']}  "
                    f"queries {entry['queries']}",
                    file=sys.stderr,
                )
        if not only or "mixed" in only:
            results += run_mixed(args, base_url, scenarios)
    redis.Redis.from_url(redis_url).flushdb()

    from bench.runner.report import markdown, readme_update, targets

    now = datetime.now(UTC)
    report: dict[str, Any] = {
        "meta": {
            "date": now.strftime("%Y-%m-%d"),
            "scale": args.scale,
            "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            **machine(),
            "server": f"granian WSGI, {WORKERS} workers x 1 blocking thread",
            "wrk": f"-t{args.threads} -c{args.connections} (mixed: -c{MIXED_CONNECTIONS})",
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "elapsed_s": round(time.monotonic() - started, 1),
        },
        "scenario_order": [s.name for s in selected]
        + (["mixed"] if not only or "mixed" in only else []),
        "results": results,
    }
    report["targets"] = targets(results)
    output = (
        args.output or ROOT / "bench" / "results" / f"{report['meta']['date']}-{args.scale}.json"
    )
    output.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    print(table)
    shown = output.relative_to(ROOT) if output.resolve().is_relative_to(ROOT) else output
    if args.readme if args.readme is not None else full:
        readme_update(ROOT / "bench" / "README.md", table, str(shown))
    print(f"bench/run: wrote {shown}", file=sys.stderr)
    failed = [r for r in results if r["errors"]]
    if failed:
        print(
            "bench/run: errors in " + ", ".join(f"{r['scenario']}/{r['variant']}" for r in failed),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
