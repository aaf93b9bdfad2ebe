"""Input and output serializers of the courses API (one per direction and action).

Inputs derive from lms.api.serializers (strict: a field the endpoint does not know is a
400 naming it); outputs are read-only DRF serializers."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from courses.api.schema import CourseStaffRoleField
from courses.models import Category, Course, CourseStaff, Lesson, Module, Tag
from courses.permissions import can_view_lesson_content
from courses.selectors import ORDERINGS, PRICE_CHOICES, SCOPES, CompletionRule
from lms.api import serializers as strict

COVER_MAX_BYTES = 5 * 1024 * 1024
COVER_FORMATS = {"JPEG", "PNG", "WEBP"}
LESSON_FILE_EXTENSIONS = {
    "pdf", "txt", "md", "csv", "json", "zip", "epub",
    "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",
    "png", "jpg", "jpeg", "gif", "webp",
    "mp3", "m4a", "ogg", "wav", "mp4", "webm",
    "py", "ipynb", "r", "sql",
}  # fmt: skip


def lesson_file_max_bytes() -> int:
    return int(getattr(settings, "COURSES_LESSON_FILE_MAX_BYTES", 100 * 1024 * 1024))


# --- taxonomy --------------------------------------------------------------------------


class TagSerializer(serializers.ModelSerializer[Tag]):
    class Meta:
        model = Tag
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class TagInputSerializer(strict.Serializer):
    name = serializers.CharField(max_length=50)
    slug = serializers.SlugField(max_length=50, required=False)


class CategoryBriefSerializer(serializers.ModelSerializer[Category]):
    parent = serializers.SlugRelatedField(  # type: ignore[assignment,var-annotated]
        slug_field="slug", read_only=True, allow_null=True
    )

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "parent"]
        read_only_fields = fields


class CategorySerializer(CategoryBriefSerializer):
    course_count = serializers.IntegerField(
        read_only=True, help_text="Published courses directly in this category."
    )

    class Meta(CategoryBriefSerializer.Meta):
        fields = [*CategoryBriefSerializer.Meta.fields, "course_count"]
        read_only_fields = fields


class CategoryInputSerializer(strict.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=100, required=False)
    parent = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="slug",
        queryset=Category.objects.filter(parent__isnull=True),
        allow_null=True,
        required=False,
        help_text="Slug of a top-level category; null for a top-level one.",
    )


# --- courses ---------------------------------------------------------------------------


class InstructorSerializer(serializers.ModelSerializer[CourseStaff]):
    id = serializers.IntegerField(source="user_id", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    role = CourseStaffRoleField(read_only=True)

    class Meta:
        model = CourseStaff
        fields = ["id", "name", "role"]
        read_only_fields = fields


_LIST_FIELDS = [
    "id",
    "slug",
    "title",
    "subtitle",
    "cover_image",
    "language",
    "level",
    "category",
    "tags",
    "price_amount",
    "currency",
    "is_free",
    "status",
    "published_at",
    "capacity",
    "estimated_hours",
    "enrollment_count",
    "module_count",
    "lesson_count",
    "duration_minutes",
    "instructors",
]


class CourseListSerializer(serializers.ModelSerializer[Course]):
    category = CategoryBriefSerializer(read_only=True, allow_null=True)
    tags = TagSerializer(many=True, read_only=True)
    instructors = InstructorSerializer(source="instructor_members", many=True, read_only=True)
    is_free = serializers.BooleanField(read_only=True)
    module_count = serializers.IntegerField(read_only=True)
    lesson_count = serializers.IntegerField(read_only=True)
    duration_minutes = serializers.IntegerField(
        read_only=True, help_text="Sum of the lessons' durations."
    )

    class Meta:
        model = Course
        fields = _LIST_FIELDS
        read_only_fields = fields


class TeachingCourseSerializer(CourseListSerializer):
    viewer_role = CourseStaffRoleField(
        read_only=True,
        allow_null=True,
        help_text="Your role on the course team (scope=teaching).",
    )

    class Meta(CourseListSerializer.Meta):
        fields = [*_LIST_FIELDS, "viewer_role", "updated_at"]
        read_only_fields = fields


class CourseDetailSerializer(CourseListSerializer):
    class Meta(CourseListSerializer.Meta):
        fields = [
            *_LIST_FIELDS,
            "description",
            "description_html",
            "enrollment_opens_at",
            "enrollment_closes_at",
            "starts_at",
            "ends_at",
            "passing_grade",
            "video_complete_percent",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "description": {"help_text": "Markdown source."},
            "description_html": {"help_text": "The description rendered and sanitised."},
        }


class CourseInputSerializer(strict.Serializer):
    """Create (title required) and PATCH (everything optional)."""

    title = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=220, required=False)
    subtitle = serializers.CharField(max_length=300, required=False, allow_blank=True)
    description = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="Markdown."
    )
    cover_image = serializers.ImageField(required=False, allow_null=True)
    language = serializers.CharField(max_length=16, required=False)
    level = serializers.ChoiceField(choices=Course.Level.choices, required=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    tags = serializers.SlugRelatedField(
        slug_field="slug", queryset=Tag.objects.all(), many=True, required=False
    )
    price_amount = serializers.IntegerField(
        min_value=0, max_value=100_000_000, required=False, help_text="Minor units; 0 = free."
    )
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    enrollment_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    enrollment_closes_at = serializers.DateTimeField(required=False, allow_null=True)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    capacity = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="null = unlimited."
    )
    estimated_hours = serializers.IntegerField(
        min_value=0, max_value=10_000, required=False, allow_null=True
    )
    passing_grade = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="Course grade (percent) a learner needs to complete the course, when the "
        "course has graded work; 0: none.",
    )
    video_complete_percent = serializers.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        help_text="Share (percent) of a video lesson a learner must watch for it to complete.",
    )

    def validate_cover_image(self, image: Any) -> Any:
        """ImageField has opened it with Pillow: a real image, not a renamed file."""
        if image is None:
            return None
        if image.size > COVER_MAX_BYTES:
            raise serializers.ValidationError(
                "The cover image must be 5 MB or smaller.", code="too_large"
            )
        if getattr(getattr(image, "image", None), "format", None) not in COVER_FORMATS:
            raise serializers.ValidationError(
                "The cover image must be a JPEG, PNG or WebP image.", code="invalid_image"
            )
        return image


class CourseDuplicateSerializer(strict.Serializer):
    title = serializers.CharField(
        max_length=200, required=False, help_text='Default: the source title + " (copy)".'
    )


class CourseQuerySerializer(strict.QuerySerializer):
    """Query parameters of the course list."""

    scope = serializers.ChoiceField(
        choices=SCOPES,
        default="catalogue",
        help_text=(
            "catalogue: published courses (everyone); teaching: courses on whose team you "
            "are, any status; all: every course (admins)."
        ),
    )
    category = serializers.SlugField(required=False, help_text="Includes its subcategories.")
    tag = serializers.SlugField(required=False)
    level = serializers.ChoiceField(choices=Course.Level.choices, required=False)
    language = serializers.CharField(max_length=16, required=False)
    price = serializers.ChoiceField(choices=PRICE_CHOICES, required=False)
    instructor = serializers.IntegerField(
        min_value=1, required=False, help_text="User id of an owner or instructor."
    )
    status = serializers.ChoiceField(choices=Course.Status.choices, required=False)
    search = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Full-text search (web search syntax); results ranked unless ordered.",
    )
    ordering = serializers.ChoiceField(choices=list(ORDERINGS), required=False)


# --- staff -----------------------------------------------------------------------------


class StaffUserSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)


class CourseStaffSerializer(serializers.ModelSerializer[CourseStaff]):
    user = StaffUserSerializer(read_only=True)
    role = CourseStaffRoleField(read_only=True)

    class Meta:
        model = CourseStaff
        fields = ["id", "user", "role", "created_at"]
        read_only_fields = fields


class CourseStaffAddSerializer(strict.Serializer):
    email = serializers.EmailField(max_length=254)
    role = CourseStaffRoleField()


class CourseStaffUpdateSerializer(strict.Serializer):
    role = CourseStaffRoleField()


# --- structure -------------------------------------------------------------------------


class ModuleSerializer(serializers.ModelSerializer[Module]):
    lesson_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Module
        fields = ["id", "title", "position", "lesson_count"]
        read_only_fields = fields


class ModuleCreateSerializer(strict.Serializer):
    title = serializers.CharField(max_length=200)
    position = serializers.IntegerField(
        min_value=0, required=False, help_text="Insert here (later ones move); default: last."
    )


class ModuleUpdateSerializer(strict.Serializer):
    title = serializers.CharField(max_length=200)


class ReorderSerializer(strict.Serializer):
    position = serializers.IntegerField(min_value=0, help_text="New 0-based position.")


class LessonReorderSerializer(ReorderSerializer):
    module = serializers.PrimaryKeyRelatedField(
        queryset=Module.objects.none(),
        required=False,
        help_text="Move into another module of the course (default: stay).",
    )

    def __init__(self, *args: Any, course: Course | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if course is not None:
            self.fields["module"].queryset = Module.objects.filter(course_id=course.pk)  # type: ignore[attr-defined]


class LessonQuerySerializer(strict.QuerySerializer):
    """Query parameters of the lesson list."""

    module = serializers.IntegerField(
        min_value=1, required=False, help_text="Only the lessons of this module."
    )


ACTIVITY_ID_HELP = (
    "For a lesson of kind `quiz` the id of its quiz (`/api/v1/quizzes/{id}/`), for kind "
    "`assignment` the id of its assignment (`/api/v1/assignments/{id}/`); null for other "
    "kinds and while no activity is attached."
)
CONTENT_FIELDS = ("body", "body_html", "video_url", "file", "link_url")


class LessonSerializer(serializers.ModelSerializer[Lesson]):
    """Content fields are null (and `content_locked` true) for viewers who may not see the
    content: neither on the team, nor a learner, and the lesson is not a preview."""

    content_locked = serializers.SerializerMethodField()
    activity_id = serializers.SerializerMethodField(help_text=ACTIVITY_ID_HELP)

    class Meta:
        model = Lesson
        fields = [
            "id",
            "module",
            "title",
            "position",
            "kind",
            "activity_id",
            "content_locked",
            "body",
            "body_html",
            "video_url",
            "file",
            "link_url",
            "duration_minutes",
            "is_preview",
            "required_for_completion",
            "release_at",
            "release_after_days",
            "requires_prerequisites",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "body": {"help_text": "Markdown source.", "allow_null": True},
            "body_html": {"help_text": "The body rendered and sanitised.", "allow_null": True},
            "video_url": {"allow_null": True},
            "file": {"allow_null": True},
            "link_url": {"allow_null": True},
        }

    def _locked(self, lesson: Lesson) -> bool:
        course = self.context["course"]
        return not can_view_lesson_content(self.context["request"].user, lesson, course)

    def get_content_locked(self, lesson: Lesson) -> bool:
        return self._locked(lesson)

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_activity_id(self, lesson: Lesson) -> int | None:
        # Set for a whole list at once by courses.selectors.with_activity_ids.
        return getattr(lesson, "activity_id", None)

    def to_representation(self, instance: Lesson) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data["content_locked"]:
            for name in CONTENT_FIELDS:
                data[name] = None
        return data


class _LessonFieldsSerializer(strict.Serializer):
    kind = serializers.ChoiceField(choices=Lesson.Kind.choices, required=False)
    body = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="Markdown."
    )
    video_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    file = serializers.FileField(required=False, allow_null=True, max_length=200)
    link_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    duration_minutes = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    is_preview = serializers.BooleanField(required=False)
    required_for_completion = serializers.BooleanField(required=False)
    release_at = serializers.DateTimeField(required=False, allow_null=True)
    release_after_days = serializers.IntegerField(
        min_value=0, max_value=3650, required=False, allow_null=True
    )
    requires_prerequisites = serializers.BooleanField(required=False)

    def validate_file(self, upload: Any) -> Any:
        if upload is None:
            return None
        if upload.size > lesson_file_max_bytes():
            raise serializers.ValidationError("The file is too large.", code="too_large")
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in LESSON_FILE_EXTENSIONS:
            raise serializers.ValidationError(
                "This type of file is not accepted.", code="invalid_extension"
            )
        return upload


class LessonCreateSerializer(_LessonFieldsSerializer):
    module = serializers.PrimaryKeyRelatedField(queryset=Module.objects.none())
    title = serializers.CharField(max_length=200)
    position = serializers.IntegerField(
        min_value=0, required=False, help_text="Insert here (later ones move); default: last."
    )

    def __init__(self, *args: Any, course: Course | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if course is not None:
            self.fields["module"].queryset = Module.objects.filter(course_id=course.pk)  # type: ignore[attr-defined]


class LessonUpdateSerializer(_LessonFieldsSerializer):
    title = serializers.CharField(max_length=200, required=False)


# --- outline ---------------------------------------------------------------------------


class OutlineCompletionSerializer(serializers.Serializer[Any]):
    rule = serializers.ChoiceField(
        choices=list(CompletionRule.ALL),
        help_text="What completes the lesson: `request` (the learner marks it complete), "
        "`quiz_submit` (submitting its quiz), `quiz_pass` (an attempt of its quiz scoring "
        "at least `pass_percent`), `assignment_submit` (handing its assignment in), "
        "`assignment_pass` (a released grade of at least `pass_percent`), `video_watch` "
        "(watching `video_percent` of the video).",
    )
    pass_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="The pass mark of `quiz_pass` and `assignment_pass`; null otherwise.",
    )
    video_percent = serializers.IntegerField(
        allow_null=True,
        help_text="The share of the video to watch (`video_watch`, the course's setting); "
        "null otherwise.",
    )


class OutlineLessonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Lesson.Kind.choices)
    activity_id = serializers.IntegerField(allow_null=True, help_text=ACTIVITY_ID_HELP)
    completion = OutlineCompletionSerializer()
    duration_minutes = serializers.IntegerField()
    is_preview = serializers.BooleanField()
    required_for_completion = serializers.BooleanField()
    release_at = serializers.DateTimeField(allow_null=True)
    release_after_days = serializers.IntegerField(allow_null=True)
    requires_prerequisites = serializers.BooleanField()
    state = serializers.JSONField(
        allow_null=True,
        help_text="The signed-in learner's progress and access for this lesson; null for "
        "anyone without a seat in the course.",
    )


class OutlineModuleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    position = serializers.IntegerField()
    duration_minutes = serializers.IntegerField()
    lessons = OutlineLessonSerializer(many=True)


class OutlineSerializer(serializers.Serializer[Any]):
    course = serializers.SlugField(help_text="The course's slug.")
    module_count = serializers.IntegerField()
    lesson_count = serializers.IntegerField()
    duration_minutes = serializers.IntegerField()
    modules = OutlineModuleSerializer(many=True)
