"""Forms of the instructor pages. The question form turns plain text fields (one option
per line, `*` marking correct ones, and so on) into a question's `data` and `key`; the
services validate the result."""

import secrets
from decimal import Decimal
from typing import Any

from django import forms

from quizzes.models import Question, QuestionBank, Quiz

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class QuizCreateForm(forms.Form):
    title = forms.CharField(max_length=200, label="Quiz title")


class QuizSettingsForm(forms.ModelForm):
    class Meta:
        model = Quiz
        fields = [
            "title",
            "instructions",
            "lesson",
            "published",
            "time_limit_minutes",
            "max_attempts",
            "passing_score_percent",
            "score_policy",
            "shuffle_questions",
            "shuffle_options",
            "opens_at",
            "closes_at",
            "due_at",
            "results_policy",
            "answers_policy",
        ]
        widgets = {"opens_at": DATETIME, "closes_at": DATETIME, "due_at": DATETIME}
        labels = {"answers_policy": "Correct answers shown", "results_policy": "Results shown"}

    def __init__(self, *args: Any, lessons: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lesson"].queryset = lessons  # type: ignore[attr-defined]
        self.fields["lesson"].required = False

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class BankForm(forms.Form):
    title = forms.CharField(max_length=200, label="Bank title")


def _new_id(prefix: str) -> str:
    """Random, never positional: `i1, i2, i3` would spell out an ordering's answer."""
    return f"{prefix}{secrets.token_hex(4)}"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _accepted(line: str) -> list[dict[str, Any]]:
    """`Paris | paris city` -> alternatives; `/^qx\\d+$/` is a regular expression."""
    out: list[dict[str, Any]] = []
    for alternative in (a.strip() for a in line.split("|")):
        if len(alternative) > 2 and alternative.startswith("/") and alternative.endswith("/"):
            out.append({"text": alternative[1:-1], "regex": True})
        elif alternative:
            out.append({"text": alternative})
    return out


# The fields each question kind reads in `QuestionForm.definition` (the others are
# ignored): the builder shows only the chosen kind's fields (static/js/quiz-builder.js).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "choices": ("single", "multiple"),
    "scoring": ("multiple", "ordering"),
    "penalty": ("multiple",),
    "true_false": ("true_false",),
    "answers": ("short_text", "fill_blanks"),
    "numeric_value": ("numeric",),
    "tolerance": ("numeric",),
    "tolerance_mode": ("numeric",),
    "pairs": ("matching",),
    "items": ("ordering",),
    "guidance": ("essay",),
}
KIND_LABELS = dict(Question.Kind.choices)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(choices=Question.Kind.choices, label="Question type")
    bank = forms.ModelChoiceField(queryset=QuestionBank.objects.none(), empty_label=None)
    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown: **bold**, `code`, lists. "
        "Fill in the blanks: mark blanks as [b1], [b2].",
    )
    points = forms.DecimalField(max_digits=8, decimal_places=2, min_value=0, initial=1)
    tags = forms.CharField(required=False, help_text="Separated by spaces.")
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One option per line; start correct ones with *.",
    )
    scoring = forms.ChoiceField(
        required=False,
        choices=[("all_or_nothing", "All or nothing"), ("partial", "Partial credit")],
        help_text="Partial credit: per correct pick (multiple choice) or position (ordering).",
    )
    penalty = forms.DecimalField(
        required=False, min_value=0, max_value=10, initial=1, help_text="Per wrong pick."
    )
    true_false = forms.ChoiceField(
        required=False, choices=[("true", "True"), ("false", "False")], label="Correct answer"
    )
    answers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Short text: accepted answers separated by |, /regex/ for a pattern. "
        "Fill in the blanks: one line per blank, in order.",
    )
    numeric_value = forms.DecimalField(required=False, max_digits=30, decimal_places=10)
    tolerance = forms.DecimalField(required=False, min_value=0, max_digits=30, decimal_places=10)
    tolerance_mode = forms.ChoiceField(
        required=False,
        choices=[("exact", "Exact"), ("absolute", "Absolute"), ("relative", "Relative")],
    )
    pairs = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One pair per line: left = right.",
    )
    items = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The items in the correct order, one per line.",
    )
    guidance = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For graders; learners never see it.",
    )

    def __init__(self, *args: Any, banks: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks  # type: ignore[attr-defined]

    def kind_fields(self) -> list[tuple[forms.BoundField, str, str]]:
        """(field, kinds, their labels) in form order; kinds "" for the common fields."""
        out = []
        for bound in self:
            kinds = KIND_FIELDS.get(bound.name, ())
            out.append((bound, " ".join(kinds), ", ".join(KIND_LABELS[k] for k in kinds)))
        return out

    def definition(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(data, key) from the text fields of the chosen kind."""
        c = self.cleaned_data
        kind = c["kind"]
        data: dict[str, Any] = {}
        key: dict[str, Any] = {}
        if kind in ("single", "multiple"):
            options = []
            correct = []
            for line in _lines(c.get("choices") or ""):
                marked = line.startswith("*")
                option_id = _new_id("o")
                options.append({"id": option_id, "text": line.lstrip("*").strip()})
                if marked:
                    correct.append(option_id)
            data["options"] = options
            if kind == "single":
                key["correct"] = correct[0] if len(correct) == 1 else None
            else:
                key["correct"] = correct
                data["scoring"] = c.get("scoring") or "all_or_nothing"
                data["penalty"] = str(c.get("penalty") if c.get("penalty") is not None else 1)
        elif kind == "true_false":
            key["correct"] = c.get("true_false") == "true"
        elif kind == "short_text":
            key["accepted"] = _accepted(" | ".join(_lines(c.get("answers") or "")))
        elif kind == "numeric":
            value = c.get("numeric_value")
            key = {
                "value": None if value is None else str(value.normalize()),
                "tolerance": str((c.get("tolerance") or Decimal(0)).normalize()),
                "mode": c.get("tolerance_mode") or "exact",
            }
        elif kind == "fill_blanks":
            lines = _lines(c.get("answers") or "")
            data["text"] = c["prompt"]
            data["blanks"] = [{"id": f"b{i + 1}"} for i in range(len(lines))]
            key["blanks"] = {f"b{i + 1}": _accepted(line) for i, line in enumerate(lines)}
        elif kind == "matching":
            prompts, choices, pairs = [], [], {}
            for line in _lines(c.get("pairs") or ""):
                left, _, right = line.partition("=")
                prompt_id, choice_id = _new_id("p"), _new_id("c")
                prompts.append({"id": prompt_id, "text": left.strip()})
                choices.append({"id": choice_id, "text": right.strip()})
                pairs[prompt_id] = choice_id
            data.update(prompts=prompts, choices=choices, scoring="partial")
            key["pairs"] = pairs
        elif kind == "ordering":
            items = [{"id": _new_id("i"), "text": t} for t in _lines(c.get("items") or "")]
            data["items"] = items
            data["scoring"] = "per_position" if c.get("scoring") == "partial" else "all_or_nothing"
            key["order"] = [item["id"] for item in items]
        elif kind == "essay":
            key["guidance"] = c.get("guidance") or ""
        return data, key

    def tag_list(self) -> list[str]:
        return (self.cleaned_data.get("tags") or "").split()


class DrawForm(forms.Form):
    bank = forms.ModelChoiceField(
        queryset=QuestionBank.objects.none(), required=False, label="From bank"
    )
    tag = forms.CharField(required=False, max_length=50, label="With tag")
    count = forms.IntegerField(min_value=1, max_value=100, initial=1)
    points = forms.DecimalField(max_digits=8, decimal_places=2, min_value=0, initial=1)

    def __init__(self, *args: Any, banks: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks  # type: ignore[attr-defined]


class GradeForm(forms.Form):
    points = forms.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    feedback = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
