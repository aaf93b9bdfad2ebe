"""Input of `POST /api/v1/courses/{slug}/outline/reorder/`: the whole new order of a
course's modules and lessons (courses.services.course_outline_reorder)."""

from typing import Any

from rest_framework import serializers

from lms.api import serializers as strict


class OutlineOrderModuleSerializer(strict.Serializer):
    id = serializers.IntegerField(min_value=1, help_text="A module of the course.")
    lessons = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=2000,
        help_text=(
            "Every lesson of this module in its new order, by id; a lesson of another "
            "module of the course listed here moves into this one."
        ),
    )


class OutlineReorderSerializer(strict.Serializer):
    modules = OutlineOrderModuleSerializer(  # type: ignore[call-arg]  # ListSerializer's
        many=True,
        max_length=500,
        help_text="Every module of the course in its new order, each with all its lessons.",
    )

    def order(self) -> list[tuple[int, list[int]]]:
        modules: list[dict[str, Any]] = self.validated_data["modules"]
        return [(module["id"], module["lessons"]) for module in modules]
