"""Input and output serializers of the enrollments API."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from courses.models import Course, Lesson
from enrollments.models import Enrollment, LessonProgress

STATUS_HELP = "One of: " + ", ".join(Enrollment.Status.values) + "."


class CourseBriefSerializer(serializers.ModelSerializer[Course]):
    # Plain strings: a second `status` enum would collide with the courses schema's.
    status = serializers.CharField(read_only=True, help_text="draft, published, archived.")

    class Meta:
        model = Course
        fields = ["id", "slug", "title", "status"]
        read_only_fields = fields


class ProgressSerializer(serializers.Serializer[Any]):
    completed = serializers.IntegerField(source="completed_count")
    total = serializers.IntegerField(source="required_total")
    percent = serializers.IntegerField()


class NextLessonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()


class AccommodationsSerializer(serializers.ModelSerializer[Enrollment]):
    class Meta:
        model = Enrollment
        fields = ["time_multiplier", "extra_attempts", "deadline_extension_days"]


class AccommodationsInputSerializer(serializers.Serializer[Any]):
    time_multiplier = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("1.00"),
        max_value=Decimal("10.00"),
        required=False,
    )
    extra_attempts = serializers.IntegerField(min_value=0, max_value=100, required=False)
    deadline_extension_days = serializers.IntegerField(min_value=0, max_value=365, required=False)


class EnrollmentSerializer(serializers.ModelSerializer[Enrollment]):
    course = CourseBriefSerializer(read_only=True)
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    progress = ProgressSerializer(source="*", read_only=True)
    next_lesson = serializers.SerializerMethodField(
        help_text="The first lesson (course order) not completed yet; null when all are."
    )
    accommodations = AccommodationsSerializer(source="*", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "course",
            "status",
            "source",
            "enrolled_at",
            "waitlisted_at",
            "completed_at",
            "last_activity_at",
            "progress",
            "next_lesson",
            "accommodations",
        ]
        read_only_fields = fields

    @extend_schema_field(NextLessonSerializer(allow_null=True))
    def get_next_lesson(self, obj: Enrollment) -> dict[str, Any] | None:
        return self.context.get("next_lessons", {}).get(obj.pk)  # type: ignore[no-any-return]


class UserBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class RosterEntrySerializer(serializers.ModelSerializer[Enrollment]):
    user = UserBriefSerializer(read_only=True)
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    progress = ProgressSerializer(source="*", read_only=True)
    accommodations = AccommodationsSerializer(source="*", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "user",
            "status",
            "source",
            "enrolled_at",
            "waitlisted_at",
            "completed_at",
            "last_activity_at",
            "progress",
            "accommodations",
        ]
        read_only_fields = fields


class RosterAddSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()


class RosterQuerySerializer(serializers.Serializer[Any]):
    status = serializers.CharField(required=False, help_text=STATUS_HELP)

    def validate_status(self, value: str) -> str:
        if value not in Enrollment.Status.values:
            raise serializers.ValidationError(STATUS_HELP, code="invalid_choice")
        return value


class BulkUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV, one email per row (optional `email` header).")


class BulkRowSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField()
    email = serializers.CharField()
    result = serializers.ChoiceField(
        choices=["created", "already_enrolled", "unknown_email", "invalid"]
    )
    enrollment_id = serializers.IntegerField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class BulkReportSerializer(serializers.Serializer[Any]):
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = BulkRowSerializer(many=True)


class LessonContentSerializer(serializers.ModelSerializer[Lesson]):
    course = serializers.SlugRelatedField(  # type: ignore[var-annotated]
        source="module.course", slug_field="slug", read_only=True
    )
    module = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[var-annotated]
    completed = serializers.SerializerMethodField()

    class Meta:
        model = Lesson
        fields = [
            "id",
            "course",
            "module",
            "title",
            "position",
            "kind",
            "body",
            "body_html",
            "video_url",
            "file",
            "link_url",
            "duration_minutes",
            "is_preview",
            "required_for_completion",
            "completed",
        ]
        read_only_fields = fields

    def get_completed(self, obj: Lesson) -> bool | None:
        return self.context.get("completed")  # type: ignore[no-any-return]


class LessonProgressInputSerializer(serializers.Serializer[Any]):
    position_seconds = serializers.IntegerField(min_value=0, max_value=24 * 3600)
    duration_seconds = serializers.IntegerField(
        min_value=1,
        max_value=24 * 3600,
        required=False,
        help_text="The player's video length; used when the lesson has no duration.",
    )


class LessonProgressSerializer(serializers.ModelSerializer[LessonProgress]):
    class Meta:
        model = LessonProgress
        fields = ["last_position_seconds", "watched_seconds", "updated_at"]
        read_only_fields = fields


class LessonProgressResultSerializer(serializers.Serializer[Any]):
    lesson = serializers.IntegerField()
    position = LessonProgressSerializer()
    completed = serializers.BooleanField()
    enrollment = EnrollmentSerializer()


class LessonCompleteResultSerializer(serializers.Serializer[Any]):
    lesson = serializers.IntegerField()
    completed = serializers.BooleanField()
    created = serializers.BooleanField(help_text="False when it was already completed.")
    enrollment = EnrollmentSerializer()
