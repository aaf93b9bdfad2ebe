"""Refusal tests assert that nothing changed: `with unchanged(course, enrollment): ...`."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models


def _snapshot(instance: models.Model) -> dict[str, Any]:
    """Every stored column, non-editable ones (counters, timestamps) included."""
    fresh = type(instance)._default_manager.filter(pk=instance.pk).first()
    if fresh is None:
        return {}
    return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


@contextmanager
def unchanged(
    *instances: models.Model, counts: tuple[type[models.Model], ...] = ()
) -> Iterator[None]:
    """Fails if any instance's stored row, or the row count of any model in `counts`,
    differs after the block."""
    before = [_snapshot(i) for i in instances]
    before_counts = [m._default_manager.count() for m in counts]
    yield
    after = [_snapshot(i) for i in instances]
    after_counts = [m._default_manager.count() for m in counts]
    if after != before:
        raise AssertionError(f"a refused request changed stored rows: {before} -> {after}")
    if after_counts != before_counts:
        raise AssertionError(f"a refused request added or removed rows: {counts}")
