"""Forms of the instructor pages. They parse and show input; the services validate and
write (their ValidationErrors come back onto the form with `add_service_errors`)."""

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
    service_field_names = COURSE_FIELDS

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
        ]
        labels = {
            "description": "Description (Markdown)",
            "price_amount": "Price in minor units (cents; 0 = free)",
            "passing_grade": "Passing grade (%)",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 8}),
            "enrollment_opens_at": LocalDateTimeInput(),
            "enrollment_closes_at": LocalDateTimeInput(),
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
        }


class CourseCreateForm(CourseDetailsForm):
    class Meta(CourseDetailsForm.Meta):
        fields = ["title", "subtitle", "description", "level", "language", "category"]


class ModuleForm(forms.Form):
    title = forms.CharField(max_length=200)


class LessonAddForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Lesson.Kind.choices, initial=Lesson.Kind.TEXT)


class LessonForm(ServiceModelForm):
    service_field_names = LESSON_FIELDS

    class Meta:
        model = Lesson
        fields = [
            "title",
            "kind",
            "body",
            "video_url",
            "link_url",
            "file",
            "duration_minutes",
            "is_preview",
            "required_for_completion",
            "release_at",
            "release_after_days",
            "requires_prerequisites",
        ]
        labels = {"body": "Text or notes (Markdown)"}
        formfield_callback = _formfield
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10}),
            "release_at": LocalDateTimeInput(),
            # A file is replaced by uploading another; kinds drop it on change.
            "file": forms.FileInput(),
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if not upload or not hasattr(upload, "size") or "file" not in self.changed_data:
            return upload
        if upload.size > lesson_file_max_bytes():
            raise ValidationError("The file is too large.", code="too_large")
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in LESSON_FILE_EXTENSIONS:
            raise ValidationError("This type of file is not accepted.", code="invalid_extension")
        return upload


class PositionForm(forms.Form):
    position = forms.IntegerField(min_value=0)


class StaffAddForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=CourseStaff.Role.choices, initial=CourseStaff.Role.TA)
