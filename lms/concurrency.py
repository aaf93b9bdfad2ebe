"""Named points between a check and its write, where tests can hold threads.

A service that checks a rule and then writes (capacity, one active attempt, one
certificate) calls `race_point("<name>")` between the two. In production it is a dict
lookup and nothing else. lms.testing.concurrency.run_together installs a barrier there, so
every racing thread has done its check before any writes: without the row lock that the
service takes, the race then breaks the rule on every run, not by luck.
"""

from collections.abc import Callable

_hooks: dict[str, Callable[[], None]] = {}


def race_point(name: str) -> None:
    hook = _hooks.get(name)
    if hook is not None:
        hook()


def race_hook_set(name: str, hook: Callable[[], None] | None) -> None:
    """For lms.testing only."""
    if hook is None:
        _hooks.pop(name, None)
    else:
        _hooks[name] = hook
