"""The benchmark server (bench/run): production settings, plus the baselines.

Everything that shapes a request's cost stays as in production: DEBUG off, the same
middleware, authentication, throttles (their Redis counters still run), cache and pool.
Only what would stop a load test changes: throttle rates are raised far above what one
machine can send, and plain HTTP on 127.0.0.1 is not redirected to HTTPS.
"""

import os

# prod.py demands these; bench/run sets real values, these defaults serve the tests.
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 32)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
for _scope in ("ANON", "USER", "AUTH", "UPLOADS", "SUBMISSIONS"):
    os.environ.setdefault(f"THROTTLE_{_scope}", "100000000/min")

from .prod import *  # noqa: E402,F403
from .prod import MIDDLEWARE  # noqa: E402

# Mounts bench/urls.py (floor, bare bcrypt, raw and naive twins) at /bench/.
BENCH_BASELINES = True
# Counts a request's SQL queries when it asks (X-Bench-Queries: 1); free otherwise.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
