"""Input and output serializers of the enrollments API (strict input: lms.api.serializers)."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from courses.selectors import LessonKind
from enrollments.models import Enrollment, LessonProgress
from enrollments.services.enrollment import BULK_MAX_BYTES
from lms.api.serializers import ModelSerializer, QuerySerializer, Serializer

STATUS_HELP = "One of: " + ", ".join(Enrollment.Status.values) + "."


class CourseBriefSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    title = serializers.CharField(read_only=True)
    # A plain string: a second `status` enum would collide with the courses schema's.
    status = serializers.CharField(read_only=True, help_text="draft, published, archived.")


class ProgressSerializer(Serializer):
    completed = serializers.IntegerField(source="completed_count")
    total = serializers.IntegerField(source="required_total")
    percent = serializers.IntegerField()


class NextLessonSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()


class AccommodationsSerializer(ModelSerializer):
    class Meta:
        model = Enrollment
        fields = ["time_multiplier", "extra_attempts", "deadline_extension_days"]


class AccommodationsInputSerializer(Serializer):
    time_multiplier = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("1.00"),
        max_value=Decimal("10.00"),
        required=False,
    )
    extra_attempts = serializers.IntegerField(min_value=0, max_value=100, required=False)
    deadline_extension_days = serializers.IntegerField(min_value=0, max_value=365, required=False)


class EnrollmentSerializer(ModelSerializer):
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


class UserBriefSerializer(Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class RosterEntrySerializer(ModelSerializer):
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


class RosterAddSerializer(Serializer):
    email = serializers.EmailField()


class RosterQuerySerializer(QuerySerializer):
    status = serializers.CharField(required=False, help_text=STATUS_HELP)

    def validate_status(self, value: str) -> str:
        if value not in Enrollment.Status.values:
            raise serializers.ValidationError(STATUS_HELP, code="invalid_choice")
        return value


class BulkUploadSerializer(Serializer):
    file = serializers.FileField(
        help_text="CSV, one email per row (optional `email` header); at most 1 MB."
    )

    def validate_file(self, upload: Any) -> Any:
        # Refused before it is read into memory.
        if upload.size > BULK_MAX_BYTES:
            raise serializers.ValidationError(
                "The file is larger than 1 MB.", code="file_too_large"
            )
        return upload


class BulkRowSerializer(Serializer):
    row = serializers.IntegerField()
    email = serializers.CharField()
    result = serializers.ChoiceField(
        choices=["created", "already_enrolled", "unknown_email", "invalid"]
    )
    enrollment_id = serializers.IntegerField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class BulkReportSerializer(Serializer):
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = BulkRowSerializer(many=True)


class LessonContentSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    course = serializers.SlugField(
        source="module.course.slug", read_only=True, help_text="The course's slug."
    )
    module = serializers.IntegerField(source="module_id", read_only=True)
    title = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=LessonKind.choices, read_only=True)
    body = serializers.CharField(read_only=True, help_text="Markdown.")
    body_html = serializers.CharField(read_only=True, help_text="The body, rendered and sanitised.")
    video_url = serializers.URLField(read_only=True)
    file = serializers.FileField(read_only=True, allow_null=True)
    link_url = serializers.URLField(read_only=True)
    duration_minutes = serializers.IntegerField(read_only=True)
    is_preview = serializers.BooleanField(read_only=True)
    required_for_completion = serializers.BooleanField(read_only=True)
    completed = serializers.SerializerMethodField(
        help_text="Whether the signed-in learner completed it; null without a seat."
    )

    def get_completed(self, obj: Any) -> bool | None:
        return self.context.get("completed")  # type: ignore[no-any-return]


class LessonProgressInputSerializer(Serializer):
    position_seconds = serializers.IntegerField(min_value=0, max_value=24 * 3600)
    duration_seconds = serializers.IntegerField(
        min_value=1,
        max_value=24 * 3600,
        required=False,
        help_text="The player's video length; used when the lesson has no duration.",
    )


class LessonProgressSerializer(ModelSerializer):
    class Meta:
        model = LessonProgress
        fields = ["last_position_seconds", "watched_seconds", "duration_seconds", "updated_at"]
        read_only_fields = fields


class LessonProgressResultSerializer(Serializer):
    lesson = serializers.IntegerField()
    position = LessonProgressSerializer()
    completed = serializers.BooleanField()
    enrollment = EnrollmentSerializer()


class LessonCompleteResultSerializer(Serializer):
    lesson = serializers.IntegerField()
    completed = serializers.BooleanField()
    created = serializers.BooleanField(help_text="False when it was already completed.")
    enrollment = EnrollmentSerializer()
