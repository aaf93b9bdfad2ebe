"""OpenAPI for values that are an object or null.

drf-spectacular writes a nullable nested object as `{"allOf": [{"$ref": ...}],
"nullable": true}`, which OpenAPI 3.0 validators read as "never null" (`nullable` only
widens a `type` in the same schema). A `NullableField` is documented as
`oneOf: [<the object>, null]`, which every 3.0 reader accepts, so the quiz payload
schemas validate real responses, null ones included (quizzes/tests/test_payloads.py).

Payload shapes (quizzes.payloads) are strict: their schemas say `additionalProperties:
false`. A body that may match several of a set of schemas (a PATCH of a question that
need not name its kind) is an `anyOf`: `AnyOfProxySerializer`.
"""

from collections.abc import Callable
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.serializers import PolymorphicProxySerializerExtension
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from quizzes.payloads import Shape

NULL_SCHEMA = {"enum": [None], "nullable": True}


class NullableField(serializers.Field):  # type: ignore[type-arg]
    """An object described by `serializer` (a serializer class, or a callable returning
    one or a PolymorphicProxySerializer), or null. Values pass through unchanged: outputs
    are built by quizzes.presenters, inputs validated by the services."""

    def __init__(self, serializer: Callable[[], Any], **kwargs: Any) -> None:
        self.serializer = serializer
        kwargs["allow_null"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return value

    def to_internal_value(self, data: Any) -> Any:
        return data


class NullableFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NullableField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        inner = auto_schema._map_serializer_field(
            force_instance(self.target.serializer()), direction
        )
        return {"oneOf": [inner, NULL_SCHEMA]}


class PayloadShapeExtension(OpenApiSerializerExtension):
    """Payload shapes refuse fields they do not know; their schemas say so."""

    target_class = Shape
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        return dict(schema)


class AnyOfProxySerializer(PolymorphicProxySerializer):
    """For @extend_schema only: the body matches one or more of `serializers` (pass
    `resource_type_field_name=None`)."""


class AnyOfProxySerializerExtension(PolymorphicProxySerializerExtension):
    target_class = AnyOfProxySerializer  # type: ignore[assignment]
    priority = 1

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {"anyOf": super().map_serializer(auto_schema, direction)["oneOf"]}
