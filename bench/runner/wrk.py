"""Runs wrk with requests.lua over a request list and reads its one-line JSON result."""

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUA_SCRIPT = Path(__file__).with_name("requests.lua")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None


def lua_string(value: str) -> str:
    """A Lua string literal (escapes backslash, quote and control characters)."""
    out = []
    for char in value:
        if char in '\\"':
            out.append("\\" + char)
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\{ord(char):03d}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def lua_request_list(requests: list[Request]) -> str:
    lines = ["return {"]
    for r in requests:
        headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in r.headers.items())
        body = lua_string(r.body) if r.body is not None else "nil"
        lines.append(f"  {{{lua_string(r.method)}, {lua_string(r.path)}, {{{headers}}}, {body}}},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_wrk(
    *,
    base_url: str,
    requests: list[Request],
    duration_s: float,
    connections: int,
    threads: int,
    delay_ms: float = 0,
    timeout_s: int = 10,
) -> dict[str, Any]:
    """wrk's result: requests, duration, errors, latency percentiles (microseconds)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as listing:
        listing.write(lua_request_list(requests))
    try:
        env = {
            **os.environ,
            "BENCH_REQUESTS": listing.name,
            "BENCH_THREADS": str(threads),
            "BENCH_DELAY_MS": str(int(delay_ms)),
        }
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(1, round(duration_s))}s",  # wrk takes whole seconds
            f"--timeout={timeout_s}s",
            "-s",
            str(LUA_SCRIPT),
            base_url,
        ]
        completed = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=duration_s + 60, check=False
        )
    finally:
        os.unlink(listing.name)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            result["distinct_requests"] = len(requests)
            return result
    raise RuntimeError(
        f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}"
    )
