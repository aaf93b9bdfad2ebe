"""Forms of the instructor pages. They parse and show input; the services validate and
write (their ValidationErrors come back onto the form with `add_service_errors`)."""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from courses.api.serializers import LESSON_FILE_EXTENSIONS, lesson_file_max_bytes
from courses.models import Course, CourseStaff, Lesson
from courses.services import COURSE_FIELDS, LESSON_FIELDS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"  # Django 6's default; the services want a scheme
    return field.formfield(**kwargs)


class ServiceModelForm(forms.ModelForm):
    """A ModelForm used for its fields only: the instance is never touched nor saved, and
    model validation is left to the service the view calls with `service_fields()`."""

    service_field_names: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def _post_clean(self) -> None:
        pass  # the service validates (and writes) under its lock

    def service_fields(self, *, changed_only: bool) -> dict[str, Any]:
        names = self.changed_data if changed_only else list(self.cleaned_data)
        return {
            name: self.cleaned_data[name]
            for name in names
            if name in self.service_field_names and name in self.cleaned_data
        }


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError onto the form: by field where the form has the field,
    else as a non-field error (named, so the reader knows what it is about)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        else:
            label = field.replace("_", " ").capitalize()
            form.add_error(None, [f"{label}: {message}" for e in errors for message in e])


class CourseDetailsForm(ServiceModelForm):
    """The settings page's details, in the groups the page shows (`fieldsets`)."""

    service_field_names = COURSE_FIELDS
    fieldsets: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("About the course", ("title", "subtitle", "description", "level", "language",
                              "category", "tags", "estimated_hours")),
        ("Price and capacity", ("price_amount", "currency", "capacity")),
        ("Dates", ("enrollment_opens_at", "enrollment_closes_at", "starts_at", "ends_at")),
        ("Completion", ("passing_grade", "video_complete_percent")),
    )  # fmt: skip

    class Meta:
        model = Course
        fields = [
            "title",
            "subtitle",
            "description",
            "level",
            "language",
            "category",
            "tags",
            "price_amount",
            "currency",
            "capacity",
            "estimated_hours",
            "enrollment_opens_at",
            "enrollment_closes_at",
            "starts_at",
            "ends_at",
            "passing_grade",
            "video_complete_percent",
        ]
        labels = {
            "description": "Description (Markdown)",
            "price_amount": "Price in cents (minor units of the currency; 0 = free)",
            "currency": "Currency (ISO code, e.g. USD)",
            "capacity": "Seats",
            "estimated_hours": "Estimated hours of work",
            "enrollment_opens_at": "Enrollment opens",
            "enrollment_closes_at": "Enrollment closes",
            "starts_at": "Course starts",
            "ends_at": "Course ends",
            "passing_grade": "Passing grade (%)",
            "video_complete_percent": "A video counts as watched at (% of its length)",
        }
        help_texts = {
            "capacity": "Empty: unlimited.",
            "enrollment_opens_at": "Empty: open now.",
            "enrollment_closes_at": "Empty: never closes.",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "enrollment_opens_at": LocalDateTimeInput(),
            "enrollment_closes_at": LocalDateTimeInput(),
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
        }

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(legend, bound fields) per fieldset, skipping fields the form does not have."""
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.fieldsets
            if any(name in self.fields for name in names)
        ]


class CourseCreateForm(CourseDetailsForm):
    class Meta(CourseDetailsForm.Meta):
        fields = ["title", "subtitle", "description", "level", "language", "category"]


class ModuleForm(forms.Form):
    title = forms.CharField(max_length=200)


def check_lesson_file(upload: Any) -> Any:
    """The checks of the API's lesson upload (size and type) for the pages' forms."""
    if upload.size > lesson_file_max_bytes():
        raise ValidationError("The file is too large.", code="too_large")
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in LESSON_FILE_EXTENSIONS:
        raise ValidationError("This type of file is not accepted.", code="invalid_extension")
    return upload


# Which lesson kinds use a field; a field not named here serves every kind. The pages show
# only the chosen kind's fields (static/js/lesson-kind-fields.js); without JavaScript every
# field shows, and these labels say which kind it is for.
FIELD_KINDS = {
    "video_url": (Lesson.Kind.VIDEO,),
    "file": (Lesson.Kind.FILE,),
    "link_url": (Lesson.Kind.LINK,),
}
KIND_FIELD_LABELS = {
    "video_url": "Video address (video lessons)",
    "file": "File (file lessons)",
    "link_url": "Web address (link lessons)",
}
KIND_REQUIRED: dict[str, str] = {kinds[0]: name for name, kinds in FIELD_KINDS.items()}


class LessonKindFieldsMixin:
    """Kind-aware lesson fields: the kind's own field is required (checked here so the
    form answers before the service does), and the template learns which fields belong
    to which kind (`kind_fields`)."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    changed_data: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Empty means no stated duration (0), not an error.
        if "duration_minutes" in self.fields:
            self.fields["duration_minutes"].required = False

    def clean_duration_minutes(self) -> int:
        return self.cleaned_data.get("duration_minutes") or 0

    def kind_fields(self) -> list[tuple[forms.BoundField, str]]:
        """(bound field, space-separated kinds that use it, or "" for all kinds)."""
        return [
            (self[name], " ".join(FIELD_KINDS.get(name, ())))  # type: ignore[index]
            for name in self.fields
        ]

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if not upload or not hasattr(upload, "size") or "file" not in self.changed_data:
            return upload
        return check_lesson_file(upload)

    def check_kind_field(self, kind: str | None, *, has_file: bool = False) -> None:
        needed = KIND_REQUIRED.get(kind or "")
        if kind is None or needed is None or needed not in self.fields:
            return
        if needed == "file" and has_file:
            return
        if not self.cleaned_data.get(needed) and needed not in self.errors:  # type: ignore[attr-defined]
            label = Lesson.Kind(kind).label.lower()
            self.add_error(  # type: ignore[attr-defined]
                needed, ValidationError(f"A {label} lesson needs this.", code="required")
            )


class LessonAddForm(LessonKindFieldsMixin, ServiceModelForm):
    """A new lesson with what its kind needs. The kind's content field is checked here; the
    service checks the rest (schemes, lengths) and its errors come back onto the form."""

    service_field_names = LESSON_FIELDS

    class Meta:
        model = Lesson
        fields = [
            "title",
            "kind",
            "video_url",
            "file",
            "link_url",
            "body",
            "duration_minutes",
            "required_for_completion",
            "is_preview",
        ]
        labels = {
            **KIND_FIELD_LABELS,
            "body": "Text or notes (Markdown)",
            "duration_minutes": "Duration (minutes)",
            "required_for_completion": "Required to complete the course",
            "is_preview": "Free preview (visible before enrolling)",
        }
        help_texts = {
            "body": "The lesson itself for a text lesson; notes or instructions for the others.",
            "is_preview": "",
        }
        formfield_callback = _formfield
        widgets = {"body": forms.Textarea(attrs={"rows": 6}), "file": forms.FileInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_kind_field(data.get("kind"))
        return data


class LessonForm(LessonKindFieldsMixin, ServiceModelForm):
    service_field_names = LESSON_FIELDS

    class Meta:
        model = Lesson
        fields = [
            "title",
            "kind",
            "video_url",
            "file",
            "link_url",
            "body",
            "duration_minutes",
            "is_preview",
            "required_for_completion",
            "release_at",
            "release_after_days",
            "requires_prerequisites",
        ]
        labels = {
            **KIND_FIELD_LABELS,
            "body": "Text or notes (Markdown)",
            "duration_minutes": "Duration (minutes)",
            "required_for_completion": "Required to complete the course",
            "is_preview": "Free preview (visible before enrolling)",
            "release_at": "Release on",
            "release_after_days": "Or release this many days after enrolling",
            "requires_prerequisites": "Locked until the earlier required lessons are done",
        }
        help_texts = {"is_preview": ""}
        formfield_callback = _formfield
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10}),
            "release_at": LocalDateTimeInput(),
            # A file is replaced by uploading another; kinds drop it on change.
            "file": forms.FileInput(),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_file = bool(self.instance.file) and self.instance.kind == Lesson.Kind.FILE
        self.check_kind_field(data.get("kind"), has_file=has_file)
        return data


class PositionForm(forms.Form):
    position = forms.IntegerField(min_value=0)


class LessonMoveForm(PositionForm):
    """A move button without JavaScript: to `position` in its module, or in `module`."""

    module = forms.IntegerField(min_value=1, required=False)


class OutlineOrderForm(forms.Form):
    """The content page's whole new order, as the reorder script sends it:
    `order` = JSON `[{"id": module_id, "lessons": [lesson_id, ...]}, ...]`."""

    order = forms.CharField(widget=forms.HiddenInput)

    def clean_order(self) -> list[tuple[int, list[int]]]:
        invalid = ValidationError("The new order could not be read.", code="invalid")
        try:
            value = json.loads(self.cleaned_data["order"])
        except ValueError:
            raise invalid from None
        if not isinstance(value, list):
            raise invalid
        order: list[tuple[int, list[int]]] = []
        for item in value:
            if not isinstance(item, dict) or set(item) != {"id", "lessons"}:
                raise invalid
            module_id, lesson_ids = item["id"], item["lessons"]
            if not _is_id(module_id) or not isinstance(lesson_ids, list):
                raise invalid
            if not all(_is_id(lesson_id) for lesson_id in lesson_ids):
                raise invalid
            order.append((module_id, lesson_ids))
        return order


def _is_id(value: Any) -> bool:
    return type(value) is int and value > 0


class StaffAddForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=CourseStaff.Role.choices, initial=CourseStaff.Role.TA)
