"""Forms of the instructor pages: the roster filters, adding learners (one by email, many
from a CSV file) and a learner's accommodations."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from enrollments.selectors import ROSTER_FILTERS
from enrollments.services.enrollment import BULK_MAX_BYTES

FILTER_LABELS = {
    "not_started": "Not started (0%)",
    "in_progress": "In progress",
    "completed": "Completed",
    "inactive": "Inactive 14 days",
}


class RosterFilterForm(forms.Form):
    """GET parameters of the roster; anything unknown falls back to "everyone"."""

    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "All learners"), *((key, FILTER_LABELS[key]) for key in ROSTER_FILTERS)],
    )
    q = forms.CharField(label="Search by email or name", required=False, max_length=200)

    def values(self) -> tuple[str | None, str]:
        if not self.is_valid():
            return None, ""
        return self.cleaned_data["show"] or None, self.cleaned_data["q"]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form (unknown fields as non-field errors)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class AddLearnerForm(forms.Form):
    email = forms.EmailField(
        label="Learner's email",
        max_length=254,
        help_text="They need an account already; they are added at once (no payment).",
    )


class BulkAddForm(forms.Form):
    file = forms.FileField(
        label="CSV file of emails",
        help_text="One email per row, in the first column; an optional header row "
        f"“email”. At most {BULK_MAX_BYTES // 1_000_000} MB.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # Checked before reading: a huge upload is refused without loading it.
        if upload.size > BULK_MAX_BYTES:
            raise ValidationError(
                f"The file is larger than {BULK_MAX_BYTES // 1_000_000} MB.", code="file_too_large"
            )
        return upload


class AccommodationsForm(forms.Form):
    time_multiplier = forms.DecimalField(
        label="Time multiplier",
        min_value=Decimal("1.00"),
        max_value=Decimal("10.00"),
        max_digits=4,
        decimal_places=2,
        help_text="1.00 to 10.00 (1.50 gives half as much time again on timed quizzes).",
    )
    extra_attempts = forms.IntegerField(
        label="Extra attempts", min_value=0, max_value=100, help_text="0 to 100."
    )
    deadline_extension_days = forms.IntegerField(
        label="Deadline extension (days)", min_value=0, max_value=365, help_text="0 to 365."
    )

    def changed_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.changed_data}

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)
