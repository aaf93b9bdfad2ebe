"""OpenAPI details drf-spectacular cannot infer.

The course-team role enum gets a component of its own (`CourseStaffRoleEnum`): its field
is called `role` like the platform role of accounts, and two choice sets under one field
name would otherwise need an ENUM_NAME_OVERRIDES setting to be named without a warning.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from courses.models import CourseStaff


class CourseStaffRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CourseStaff.Role.choices, **kwargs)


class CourseStaffRoleFieldExtension(OpenApiSerializerFieldExtension):
    target_class = "courses.api.schema.CourseStaffRoleField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        component = ResolvedComponent(
            name="CourseStaffRoleEnum",
            type=ResolvedComponent.SCHEMA,
            object="CourseStaffRoleEnum",
            schema={
                "type": "string",
                "enum": list(CourseStaff.Role.values),
                "description": "\n".join(
                    f"* `{value}` - {label}" for value, label in CourseStaff.Role.choices
                ),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if getattr(self.target, "allow_null", False):
            # OpenAPI 3.0: a $ref cannot carry siblings, so nullable goes through allOf.
            return {"allOf": [component.ref], "nullable": True}
        return component.ref
