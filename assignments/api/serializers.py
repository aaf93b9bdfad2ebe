"""Input and output serializers of the assignments API (per action, HackSoft style)."""

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assignments.models import Assignment, Extension, Grade, GradeCategory, Submission
from assignments.selectors import visible_grade
from assignments.services.authoring import rubric_max

MAX_POINTS = 999999


# --- assignments -------------------------------------------------------------------------------


class RubricLevelSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, max_length=40)
    title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    points = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)


class RubricCriterionSerializer(serializers.Serializer):
    id = serializers.CharField(required=False, max_length=40)
    title = serializers.CharField(max_length=200)
    levels = RubricLevelSerializer(many=True)


class AssignmentInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(allow_blank=True, required=False, max_length=50000)
    lesson = serializers.IntegerField(required=False, allow_null=True)
    category = serializers.IntegerField(required=False, allow_null=True)
    allow_text = serializers.BooleanField(required=False)
    allow_url = serializers.BooleanField(required=False)
    allow_files = serializers.BooleanField(required=False)
    allowed_extensions = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, max_length=30
    )
    max_file_size = serializers.IntegerField(required=False, min_value=1)
    max_files = serializers.IntegerField(required=False, min_value=1, max_value=20)
    points_possible = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_POINTS,
        required=False,
    )
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    available_from = serializers.DateTimeField(required=False, allow_null=True)
    available_until = serializers.DateTimeField(required=False, allow_null=True)
    late_policy = serializers.ChoiceField(choices=Assignment.LatePolicy.choices, required=False)
    late_penalty_per_day = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    late_penalty_floor = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    max_resubmissions = serializers.IntegerField(required=False, min_value=0, max_value=100)
    rubric = RubricCriterionSerializer(many=True, required=False)
    complete_on = serializers.ChoiceField(choices=Assignment.CompleteOn.choices, required=False)
    pass_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    is_published = serializers.BooleanField(required=False)


class AssignmentSerializer(serializers.ModelSerializer):
    course = serializers.CharField(source="course.slug", read_only=True)
    category = serializers.SerializerMethodField()
    rubric_max = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "course",
            "lesson",
            "title",
            "instructions",
            "instructions_html",
            "allow_text",
            "allow_url",
            "allow_files",
            "allowed_extensions",
            "max_file_size",
            "max_files",
            "points_possible",
            "due_at",
            "available_from",
            "available_until",
            "late_policy",
            "late_penalty_per_day",
            "late_penalty_floor",
            "max_resubmissions",
            "rubric",
            "rubric_max",
            "category",
            "complete_on",
            "pass_percent",
            "is_published",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_category(self, obj: Assignment) -> dict[str, Any] | None:
        c = obj.category
        return None if c is None else {"id": c.pk, "name": c.name}

    @extend_schema_field(OpenApiTypes.STR)
    def get_rubric_max(self, obj: Assignment) -> str:
        return str(rubric_max(obj.rubric)) if obj.rubric else "0"


class ExtensionInputSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    extra_days = serializers.IntegerField(min_value=0, max_value=365)
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False)


class ExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = ["id", "assignment", "user", "extra_days", "reason", "created_at"]


class ReleaseInputSerializer(serializers.Serializer):
    users = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_empty=False, max_length=10000
    )


# --- submissions -------------------------------------------------------------------------------


class HandInInputSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, required=False, max_length=100000)
    url = serializers.CharField(allow_blank=True, required=False, max_length=1000)
    files = serializers.ListField(child=serializers.FileField(), required=False, max_length=20)


class SubmissionGradeSerializer(serializers.ModelSerializer):
    # A plain string in the schema: "status" enums of other apps would collide by name.
    status = serializers.CharField(read_only=True, help_text="draft | released")
    grader = serializers.SerializerMethodField()
    feedback_file = serializers.SerializerMethodField()

    class Meta:
        model = Grade
        fields = [
            "id",
            "status",
            "raw_points",
            "penalty_percent",
            "points",
            "rubric_selections",
            "rubric_points",
            "feedback",
            "feedback_html",
            "feedback_file",
            "grader",
            "reason",
            "is_current",
            "created_at",
            "released_at",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_grader(self, obj: Grade) -> str | None:
        return obj.grader.email if obj.grader else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_feedback_file(self, obj: Grade) -> str | None:
        if not obj.feedback_file_key:
            return None
        return f"/api/v1/submissions/{obj.submission_id}/feedback-file/?grade={obj.pk}"


class SubmissionSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    grade = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "assignment",
            "user",
            "version",
            "text",
            "text_html",
            "url",
            "submitted_at",
            "effective_due_at",
            "is_late",
            "days_late",
            "penalty_percent",
            "files",
            "grade",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_user(self, obj: Submission) -> dict[str, Any]:
        return {"id": obj.user_id, "email": obj.user.email}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_files(self, obj: Submission) -> list[dict[str, Any]]:
        return [
            {
                "id": f.pk,
                "filename": f.filename,
                "size": f.size,
                "content_type": f.content_type,
                "download": f"/api/v1/submissions/{obj.pk}/files/{f.pk}/",
            }
            for f in obj.files.all()
        ]

    @extend_schema_field(SubmissionGradeSerializer)
    def get_grade(self, obj: Submission) -> dict[str, Any] | None:
        grade = visible_grade(obj, self.context["request"].user, staff=self.context.get("staff"))
        return None if grade is None else SubmissionGradeSerializer(grade).data


class SubmissionGradeInputSerializer(serializers.Serializer):
    points = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=0,
        max_value=MAX_POINTS,
        required=False,
        allow_null=True,
    )
    rubric_selections = serializers.DictField(
        child=serializers.CharField(max_length=40), required=False
    )
    feedback = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    feedback_file = serializers.FileField(required=False)
    release = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(allow_blank=True, required=False, max_length=300)


# --- gradebook ----------------------------------------------------------------------------------


class GradeCategorySerializer(serializers.ModelSerializer):
    # Plain strings in the schema: "kind" enums of other apps would collide by name.
    kind = serializers.CharField(read_only=True, help_text="assignments | quizzes | custom")

    class Meta:
        model = GradeCategory
        fields = ["id", "name", "kind", "weight", "drop_lowest", "position"]


class GradeCategoryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    weight = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0)
    drop_lowest = serializers.IntegerField(min_value=0, max_value=50, required=False, default=0)


class GradeCategoryPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    weight = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0, required=False)
    drop_lowest = serializers.IntegerField(min_value=0, max_value=50, required=False)


class GradebookItemInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    points_possible = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_POINTS
    )
    category = serializers.IntegerField()


class ScoreAdjustInputSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    user = serializers.IntegerField()
    excused = serializers.BooleanField(required=False, allow_null=True, default=None)
    override_points = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=0,
        max_value=MAX_POINTS,
        required=False,
        allow_null=True,
    )
    points = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=0,
        max_value=MAX_POINTS,
        required=False,
        allow_null=True,
    )
    reason = serializers.CharField(allow_blank=True, required=False, max_length=300, default="")


class SchemeInputSerializer(serializers.Serializer):
    scheme = serializers.ListField(
        child=serializers.ListField(min_length=2, max_length=2), min_length=1, max_length=30
    )


class ImportInputSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=True)


class GradebookQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
