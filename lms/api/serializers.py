"""Strict input: a field the endpoint does not know is a 400 naming it, never ignored.

Every API serializer derives from `Serializer` or `ModelSerializer` here (nested ones
too, so nested objects are strict as well). A client sending back a read-only field it
was given (`id`, `created_at`) is not refused: the field is known, and ignored as DRF
does. An endpoint whose clients must send extra fields sets `allow_unknown_fields = True`
on its serializer and is listed in docs/decisions/0012-platform-contract.md.
"""

import re
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.utils import html

UNKNOWN_FIELD_CODE = "unknown_field"


def _form_root(name: str) -> str:
    """The field a form key belongs to: `rubric_selections.style` -> `rubric_selections`."""
    return re.split(r"[.\[]", name, maxsplit=1)[0]


class StrictInputMixin:
    allow_unknown_fields = False

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[ErrorDetail]] = {}
        if not self.allow_unknown_fields and isinstance(data, Mapping):
            known = set(self.fields)  # type: ignore[attr-defined]
            # A form (multipart) names nested values DRF's way: `field.key`, `field[0]`.
            form = html.is_html_input(data)
            unknown = {
                str(name): [ErrorDetail("This field is not accepted here.", UNKNOWN_FIELD_CODE)]
                for name in data
                if (_form_root(str(name)) if form else name) not in known
            }
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise ValidationError(unknown)
        return value


class Serializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    pass


class ModelSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    pass


class EmptySerializer(Serializer):
    """The body of an action that takes none (`request=None` in its schema): every field
    sent is unknown, so it answers 400 naming it rather than being silently ignored.
    Use: `EmptySerializer(data=request.data).is_valid(raise_exception=True)`."""


class QuerySerializer(Serializer):
    """Validates a read's query string. Lenient by design: a query string also carries
    what the paginator, the cursor and a client's cache buster read (`page`, `page_size`,
    `cursor`, `_`), so a parameter the serializer does not name is ignored, as HTTP
    caches and proxies expect. Writes are never lenient."""

    allow_unknown_fields = True
