"""Refusal tests assert that nothing changed: `with unchanged(course, enrollment): ...`."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import models
from django.forms.models import model_to_dict


def _snapshot(instance: models.Model) -> dict[str, Any]:
    fresh = type(instance)._default_manager.filter(pk=instance.pk).first()
    return {} if fresh is None else model_to_dict(fresh)


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
