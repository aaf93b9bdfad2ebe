"""Input and output serializers of the assignments API (per action, HackSoft style).

Every one derives from lms.api.serializers (strict input: an unknown field is a 400 that
names it). The gradebook's bodies are built as plain dicts by the selectors (its hot
paths); the `*OutSerializer`s below document their shape in the schema.
"""

from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from assignments.models import Assignment, Extension, Grade, GradeCategory, Submission
from assignments.selectors import visible_grade
from assignments.services.authoring import rubric_max
from lms.api.serializers import ModelSerializer, QuerySerializer, Serializer

MAX_POINTS = 999999


# --- assignments -------------------------------------------------------------------------------


class RubricLevelSerializer(Serializer):
    id = serializers.CharField(required=False, max_length=40)
    title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    points = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)


class RubricCriterionSerializer(Serializer):
    id = serializers.CharField(required=False, max_length=40)
    title = serializers.CharField(max_length=200)
    levels = RubricLevelSerializer(many=True)


class AssignmentInputSerializer(Serializer):
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


class AssignmentSerializer(ModelSerializer):
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


class ExtensionInputSerializer(Serializer):
    user = serializers.IntegerField()
    extra_days = serializers.IntegerField(min_value=0, max_value=365)
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False)


class ExtensionSerializer(ModelSerializer):
    class Meta:
        model = Extension
        fields = ["id", "assignment", "user", "extra_days", "reason", "created_at"]


class ReleaseInputSerializer(Serializer):
    users = serializers.ListField(
        child=serializers.IntegerField(), required=False, allow_empty=False, max_length=10000
    )


# --- submissions -------------------------------------------------------------------------------


class SubmissionListQuerySerializer(QuerySerializer):
    learner = serializers.IntegerField(
        required=False, min_value=1, help_text="Staff: every version of this learner."
    )


class HandInInputSerializer(Serializer):
    text = serializers.CharField(allow_blank=True, required=False, max_length=100000)
    url = serializers.CharField(allow_blank=True, required=False, max_length=1000)
    files = serializers.ListField(child=serializers.FileField(), required=False, max_length=20)


class SubmissionGradeSerializer(ModelSerializer):
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


class SubmissionSerializer(ModelSerializer):
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


class FormDictField(serializers.DictField):
    """A dict that a multipart form may send as `name.key` values too (DRF's DictField
    parses those into a dict and then, reading it as a form again, drops every key)."""

    def to_internal_value(self, data: Any) -> dict[Any, Any]:
        if html.is_html_input(data):
            data = dict(data.items())  # the last value of each key
        return super().to_internal_value(data)  # type: ignore[no-any-return]


class SubmissionGradeInputSerializer(Serializer):
    points = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=0,
        max_value=MAX_POINTS,
        required=False,
        allow_null=True,
    )
    rubric_selections = FormDictField(
        child=serializers.CharField(max_length=40),
        required=False,
        help_text="{criterion id: level id}; in a multipart form, `rubric_selections.<id>`.",
    )
    feedback = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    feedback_file = serializers.FileField(required=False)
    release = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(allow_blank=True, required=False, max_length=300)


# --- gradebook ----------------------------------------------------------------------------------


class GradeCategorySerializer(ModelSerializer):
    # Plain strings in the schema: "kind" enums of other apps would collide by name.
    kind = serializers.CharField(read_only=True, help_text="assignments | quizzes | custom")

    class Meta:
        model = GradeCategory
        fields = ["id", "name", "kind", "weight", "drop_lowest", "position"]


class GradeCategoryInputSerializer(Serializer):
    name = serializers.CharField(max_length=100)
    weight = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0)
    drop_lowest = serializers.IntegerField(min_value=0, max_value=50, required=False, default=0)


class GradeCategoryPatchSerializer(Serializer):
    name = serializers.CharField(max_length=100, required=False)
    weight = serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0, required=False)
    drop_lowest = serializers.IntegerField(min_value=0, max_value=50, required=False)


class GradebookItemInputSerializer(Serializer):
    title = serializers.CharField(max_length=200)
    points_possible = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_POINTS
    )
    category = serializers.IntegerField()


class ScoreAdjustInputSerializer(Serializer):
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


class SchemeInputSerializer(Serializer):
    scheme = serializers.ListField(
        child=serializers.ListField(min_length=2, max_length=2), min_length=1, max_length=30
    )


class ImportInputSerializer(Serializer):
    item = serializers.IntegerField()
    file = serializers.FileField()
    dry_run = serializers.BooleanField(required=False, default=True)


class GradebookQuerySerializer(QuerySerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ReleaseOutSerializer(Serializer):
    released = serializers.IntegerField(help_text="How many draft grades were released.")


# --- gradebook bodies (documentation of the selectors' plain dicts) ----------------------------


class GradebookUserOutSerializer(Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()


class GradebookCellOutSerializer(Serializer):
    points = serializers.CharField(allow_null=True, help_text="Released points.")
    effective = serializers.CharField(
        allow_null=True, help_text="What counts: the override, else the points."
    )
    excused = serializers.BooleanField()
    override = serializers.CharField(allow_null=True)
    override_reason = serializers.CharField(allow_blank=True)
    penalty_percent = serializers.CharField()
    final = serializers.BooleanField(help_text="False: a quiz score that may still change.")
    score_id = serializers.IntegerField()


class StaffGradebookCellOutSerializer(GradebookCellOutSerializer):
    draft = serializers.CharField(allow_null=True, help_text="A draft grade, not yet released.")


class GradebookRowOutSerializer(Serializer):
    user = GradebookUserOutSerializer()
    percent = serializers.CharField(allow_null=True, help_text="The stored course grade.")
    letter = serializers.CharField(allow_blank=True)
    scores = serializers.DictField(
        child=StaffGradebookCellOutSerializer(allow_null=True),
        help_text="Keyed by gradebook item id (see `gradebook/items/`); null: no score yet.",
    )


class GradebookItemOutSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    # A field named like Field.source (the metaclass takes it off the class).
    source = serializers.CharField(help_text="assignment | quiz | manual")  # type: ignore[assignment]
    source_id = serializers.IntegerField(allow_null=True)
    points_possible = serializers.CharField()
    category = serializers.CharField(allow_null=True)


class MyGradebookItemOutSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    # A field named like Field.source (the metaclass takes it off the class).
    source = serializers.CharField(help_text="assignment | quiz | manual")  # type: ignore[assignment]
    category = serializers.CharField(allow_null=True)
    points_possible = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    score = GradebookCellOutSerializer(allow_null=True)


class MyGradebookOutSerializer(Serializer):
    percent = serializers.CharField(allow_null=True)
    letter = serializers.CharField(allow_blank=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    items = MyGradebookItemOutSerializer(many=True)


class ExplainItemOutSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    points = serializers.CharField(allow_null=True)
    points_possible = serializers.CharField()
    status = serializers.CharField(help_text="graded | override | excused | not_graded | dropped")
    penalty_percent = serializers.CharField()
    override_reason = serializers.CharField(allow_blank=True)
    original_points = serializers.CharField(allow_null=True)
    provisional = serializers.BooleanField()


class ExplainCategoryOutSerializer(Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    weight = serializers.CharField()
    normalised_weight = serializers.CharField()
    drop_lowest = serializers.IntegerField()
    earned = serializers.CharField()
    possible = serializers.CharField()
    percent = serializers.CharField(allow_null=True)
    contribution = serializers.CharField()
    counts = serializers.BooleanField()
    items = ExplainItemOutSerializer(many=True)


class StoredGradeOutSerializer(Serializer):
    percent = serializers.CharField(allow_null=True)
    letter = serializers.CharField(allow_blank=True)
    computed_at = serializers.DateTimeField(allow_null=True)


class ExplanationOutSerializer(Serializer):
    categories = ExplainCategoryOutSerializer(many=True)
    total_weight = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField())
    weighted_sum = serializers.CharField(allow_null=True)
    exact_weighted_sum = serializers.CharField(allow_null=True)
    percent = serializers.CharField(allow_null=True)
    letter = serializers.CharField(allow_blank=True)
    scheme = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="[[letter, minimum percent], ...]",
    )
    stored = StoredGradeOutSerializer(help_text="The stored grade this calculation reproduces.")


class ScoreOutSerializer(Serializer):
    item = serializers.IntegerField()
    user = serializers.IntegerField()
    points = serializers.CharField(allow_null=True)
    excused = serializers.BooleanField()
    override_points = serializers.CharField(allow_null=True)
    course_percent = serializers.CharField(allow_null=True)
    letter = serializers.CharField(allow_blank=True)


class ManualItemOutSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    points_possible = serializers.CharField()


class SchemeOutSerializer(Serializer):
    scheme = serializers.ListField(child=serializers.ListField())


class ImportRowOutSerializer(Serializer):
    row = serializers.IntegerField(help_text="The CSV line (1 is the header).")
    email = serializers.CharField()
    status = serializers.CharField(help_text="ok | unchanged | error")
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)
    excused = serializers.BooleanField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class ImportCountsOutSerializer(Serializer):
    ok = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class ImportReportOutSerializer(Serializer):
    item = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    counts = ImportCountsOutSerializer()
    rows = ImportRowOutSerializer(many=True)
