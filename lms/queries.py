"""Small ORM helpers shared by the apps' selectors."""

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def only_row(queryset: QuerySet[M]) -> M | None:
    """The row of a lookup on a unique key, or None. Unlike `.first()`, no ORDER BY is
    added: on hot paths building and running the sort costs more than the lookup."""
    return next(iter(queryset.order_by()[:1]), None)
