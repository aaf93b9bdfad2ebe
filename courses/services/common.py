"""Helpers shared by the course services: row locks, slugs, the search vector, errors."""

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from courses.cache import course_cache_bump
from courses.markdown import strip_markup
from courses.models import SEARCH_CONFIG, Course

SLUG_MAX_LENGTH = 200  # leaves room for "-<n>" under the column's 220
M = TypeVar("M", bound=models.Model)


def lock_course(course_id: int) -> Course:
    """The course row, locked until commit: every structure and team change of one course
    runs one at a time, so positions stay dense and the last owner stays."""
    return Course.objects.select_for_update().get(pk=course_id)


def course_touch(course_id: int) -> None:
    """Structure or team changed: record the time and invalidate cached reads."""
    Course.objects.filter(pk=course_id).update(updated_at=timezone.now())
    course_cache_bump(course_id)


def field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def clean_title(value: Any, *, field: str = "title") -> str:
    text = strip_markup(str(value or ""))
    if not text:
        raise field_error(field, "This field may not be blank.", "blank")
    return text


def search_vector_refresh(course_id: int) -> None:
    """PostgreSQL only: title weighs A, subtitle B, description C. SQLite searches with
    icontains and leaves the column empty."""
    if connection.vendor != "postgresql":
        return
    vector = (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("subtitle", weight="B", config=SEARCH_CONFIG)
        + SearchVector("description", weight="C", config=SEARCH_CONFIG)
    )
    Course.objects.filter(pk=course_id).update(search_vector=vector)


def slug_candidates(title: str) -> list[str]:
    base = slugify(title)[:SLUG_MAX_LENGTH].strip("-") or "course"
    taken = set(Course.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        first = base
    else:
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        first = f"{base}-{n}"
    # Fallbacks if a concurrent writer takes the first one between our check and insert.
    return [first, *(f"{base}-{secrets.token_hex(3)}" for _ in range(3))]


def save_with_unique_slug(
    instance: M,
    *,
    title: str,
    save: Callable[[M], None],
    explicit: bool,
) -> M:
    """Saves `instance` with a free slug. An explicit slug that is taken is a 400; a
    generated one is retried with another candidate (in a savepoint) when a concurrent
    insert took it."""
    if explicit:
        if _slug_taken(instance.slug, instance.pk):  # type: ignore[attr-defined]
            raise field_error("slug", "This slug is already taken.", "slug_taken")
        try:
            with transaction.atomic():
                save(instance)
        except IntegrityError as exc:
            raise field_error("slug", "This slug is already taken.", "slug_taken") from exc
        return instance
    candidates = slug_candidates(title)
    for index, candidate in enumerate(candidates):
        instance.slug = candidate  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                save(instance)
        except IntegrityError:
            if index == len(candidates) - 1 or not _slug_taken(candidate, instance.pk):
                raise
            continue
        return instance
    raise AssertionError("unreachable")  # pragma: no cover


def _slug_taken(slug: str, pk: Any) -> bool:
    return Course.objects.filter(slug=slug).exclude(pk=pk).exists()
