"""Forms of the assignments pages (the API has its own serializers)."""

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from assignments.models import Assignment
from assignments.selectors import category_list
from courses.selectors import lesson_list

if TYPE_CHECKING:
    from courses.models import Course

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AssignmentForm(forms.Form):
    title = forms.CharField(max_length=200)
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False)
    # Querysets of the course's lessons and categories, set per form (see __init__).
    lesson: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(queryset=None, required=False)
    category: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(queryset=None, required=False)
    allow_text = forms.BooleanField(required=False, initial=True, label="Accept text")
    allow_url = forms.BooleanField(required=False, label="Accept a link")
    allow_files = forms.BooleanField(required=False, label="Accept files")
    allowed_extensions = forms.CharField(
        required=False, help_text="Comma-separated, e.g. pdf, png, txt", label="File types"
    )
    max_file_size_mb = forms.IntegerField(min_value=1, initial=25, label="Max file size (MB)")
    max_files = forms.IntegerField(min_value=1, max_value=20, initial=1)
    points_possible = forms.DecimalField(min_value=0.01, max_digits=8, decimal_places=2)
    due_at = forms.DateTimeField(required=False, widget=DATETIME)
    available_from = forms.DateTimeField(required=False, widget=DATETIME)
    available_until = forms.DateTimeField(required=False, widget=DATETIME)
    late_policy = forms.ChoiceField(choices=Assignment.LatePolicy.choices)
    late_penalty_per_day = forms.DecimalField(
        min_value=0, max_value=100, initial=0, label="Penalty % per day"
    )
    late_penalty_floor = forms.DecimalField(
        min_value=0, max_value=100, initial=0, label="Floor (% kept at least)"
    )
    max_resubmissions = forms.IntegerField(min_value=0, max_value=100, initial=0)
    complete_on = forms.ChoiceField(choices=Assignment.CompleteOn.choices)
    pass_percent = forms.DecimalField(min_value=0, max_value=100, initial=50)
    is_published = forms.BooleanField(required=False, label="Published")
    rubric = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "rubric-json"}),
        help_text="Built with the rubric builder below (JSON).",
    )

    def __init__(self, *args: Any, course: "Course", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lesson_field = self.fields["lesson"]
        category_field = self.fields["category"]
        assert isinstance(lesson_field, forms.ModelChoiceField)  # noqa: S101 - typing only
        assert isinstance(category_field, forms.ModelChoiceField)  # noqa: S101 - typing only
        lesson_field.queryset = lesson_list(course=course)
        category_field.queryset = category_list(course=course)

    def clean_rubric(self) -> list[Any]:
        raw = self.cleaned_data.get("rubric") or ""
        if not raw.strip():
            return []
        try:
            value = json.loads(raw)
        except ValueError:
            raise ValidationError("Not valid JSON.", code="invalid") from None
        if not isinstance(value, list):
            raise ValidationError("A list of criteria.", code="invalid")
        return value

    def clean_allowed_extensions(self) -> list[str]:
        raw = self.cleaned_data.get("allowed_extensions") or ""
        return [part.strip().lstrip(".").lower() for part in raw.split(",") if part.strip()]

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["max_file_size"] = data.pop("max_file_size_mb") * 1024 * 1024
        return data

    @staticmethod
    def initial_for(assignment: Assignment) -> dict[str, Any]:
        return {
            "title": assignment.title,
            "instructions": assignment.instructions,
            "lesson": assignment.lesson_id,
            "category": assignment.category_id,
            "allow_text": assignment.allow_text,
            "allow_url": assignment.allow_url,
            "allow_files": assignment.allow_files,
            "allowed_extensions": ", ".join(assignment.allowed_extensions),
            "max_file_size_mb": max(1, assignment.max_file_size // (1024 * 1024)),
            "max_files": assignment.max_files,
            "points_possible": assignment.points_possible,
            "due_at": assignment.due_at,
            "available_from": assignment.available_from,
            "available_until": assignment.available_until,
            "late_policy": assignment.late_policy,
            "late_penalty_per_day": assignment.late_penalty_per_day,
            "late_penalty_floor": assignment.late_penalty_floor,
            "max_resubmissions": assignment.max_resubmissions,
            "complete_on": assignment.complete_on,
            "pass_percent": assignment.pass_percent,
            "is_published": assignment.is_published,
            "rubric": json.dumps(assignment.rubric) if assignment.rubric else "",
        }


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form (unknown fields as non-field errors)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            name = field.split(".")[0]
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)
