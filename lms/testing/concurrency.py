"""Races made deterministic.

`run_together(calls, hold_at="enrollment.seat_checked")` starts every call in its own
thread at once, and holds each thread at the service's race point (lms.concurrency) until
all of them have reached it or `hold_seconds` pass. If the service serialises the callers
(a row lock taken before the check), the first thread waits out `hold_seconds` alone and
the others follow one by one: the rule holds. If it does not, every thread has checked
before any has written: the rule breaks on every run.

Threads close their database connection when done (the pool is small), and none holds
one while waiting at the start barrier: make tokens and rows before calling this.

A thread held at the point keeps its database connection, so no more threads than the
pool has free connections (DB_POOL_MAX_SIZE, 4 by default, less the caller's own unless
it closed it) can be there at once. With more calls than that, pass `hold_parties`: the
threads then meet in groups of that size, each group checking before any of it writes.
"""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import TypeVar

from django.db import connection

from lms.concurrency import race_hook_set

T = TypeVar("T")


@contextmanager
def held_at(point: str, parties: int, hold_seconds: float) -> Iterator[None]:
    # A Barrier is reusable: with fewer parties than threads, each group that fills it is
    # released together and the next group meets there again.
    barrier = threading.Barrier(parties)

    def hold() -> None:
        # Broken: the callers are serialised by a lock, the others cannot arrive; go on.
        with suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=hold_seconds)

    race_hook_set(point, hold)
    try:
        yield
    finally:
        race_hook_set(point, None)


def run_together(
    calls: list[Callable[[], T]],
    *,
    hold_at: str | None = None,
    hold_seconds: float = 2.0,
    hold_parties: int | None = None,
) -> list[T]:
    start = threading.Barrier(len(calls))

    def worker(call: Callable[[], T]) -> T:
        start.wait()
        try:
            return call()
        finally:
            connection.close()

    def run() -> list[T]:
        if not connection.in_atomic_block:
            connection.close()  # give the caller's connection back to the small pool
        with ThreadPoolExecutor(max_workers=len(calls)) as pool:
            return list(pool.map(worker, calls))

    if hold_at is None:
        return run()
    with held_at(hold_at, hold_parties or len(calls), hold_seconds):
        return run()
