"""The shapes of a question's `data` (what learners see), its `key` (the answer key) and a
learner's `response`, one serializer per question kind.

The same serializers validate what comes in (questions written through the services,
responses autosaved by learners) and document it in OpenAPI (quizzes.api.serializers
builds the `oneOf` per kind from them), so the schema and the validation cannot drift.
Validation is in two steps, both a 400 naming the field: the shape (types, required and
unknown fields), then the rules that need the question (a choice is one of its options;
quizzes.grading.validate_definition for definitions).

| kind | data | key | response |
| --- | --- | --- | --- |
| single | options [{id, text}] | correct: id | choice: id |
| multiple | options, scoring all_or_nothing/partial, penalty | correct: [ids] | choices: [ids] |
| true_false | - | correct: bool | value: bool |
| short_text | - | accepted: [{text, regex, case_sensitive}] | text |
| numeric | - | value, tolerance, mode exact/absolute/relative | value |
| fill_blanks | text, blanks [{id}] | blanks: {id: [accepted]} | blanks: {id: text} |
| matching | prompts, choices, scoring partial/all_or_nothing | pairs: {prompt: choice} | pairs |
| ordering | items, scoring all_or_nothing/per_position | order: [ids] | order: [ids] |
| essay | - | guidance (for graders) | text |
"""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.exceptions import ValidationError as DRFValidationError

from lms.api.serializers import Serializer
from quizzes.grading import (
    ESSAY_MAX,
    KINDS,
    MAX_OPTIONS,
    SHORT_TEXT_MAX,
    to_decimal,
    validate_definition,
)

ID_MAX = 40
ENTRY_TEXT_MAX = 2000
NUMBER_MAX = 50
NON_FIELD = ("non_field_errors", "__all__")

# --- fields -----------------------------------------------------------------------------


class StrictCharField(serializers.CharField):
    """A JSON string: a number is refused, not turned into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false: "true", 1 and "yes" are refused."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


@extend_schema_field(
    {
        "oneOf": [{"type": "string", "example": "3.14"}, {"type": "number"}],
        "description": "A finite decimal number, as a JSON number or a string of one.",
    }
)
class NumberField(serializers.Field):  # type: ignore[type-arg]
    """A finite decimal number given as a JSON number or a string; kept as its text."""

    default_error_messages = {
        "invalid": "A finite number (a JSON number or a string of one).",
        "null": "A finite number (a JSON number or a string of one).",
    }

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        text = str(data).strip()
        if len(text) > NUMBER_MAX or to_decimal(text) is None:
            self.fail("invalid")
        return text

    def to_representation(self, value: Any) -> Any:
        return value


def _named_choices(component: str) -> type[serializers.ChoiceField]:
    """A ChoiceField whose choices are a schema component of their own: `scoring` has a
    different set per kind, which the schema's enum hook would otherwise mix up."""
    field_class = type(f"{component}Field", (serializers.ChoiceField,), {})
    schema = {"type": "string", "enum": list(SCORINGS[component])}
    return extend_schema_field(schema, component_name=component)(field_class)


SCORINGS = {
    "MultipleScoring": ("all_or_nothing", "partial"),
    "MatchingScoring": ("partial", "all_or_nothing"),
    "OrderingScoring": ("all_or_nothing", "per_position"),
}
MultipleScoringField = _named_choices("MultipleScoring")
MatchingScoringField = _named_choices("MatchingScoring")
OrderingScoringField = _named_choices("OrderingScoring")


def IdField(**kwargs: Any) -> StrictCharField:
    return StrictCharField(max_length=ID_MAX, **kwargs)


def id_list(*, min_length: int = 1, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=IdField(), min_length=min_length, max_length=MAX_OPTIONS, **kwargs
    )


# --- entries ----------------------------------------------------------------------------


# A payload shape: strict (a field it does not know is refused), and documented so
# (`additionalProperties: false`, added by quizzes.api.schema). No docstring: the schema
# would show it on every shape that has none of its own.
class Shape(Serializer):
    pass


class QuestionEntry(Shape):
    """An option, a matching prompt or choice, or an ordering item."""

    id = IdField(
        required=False,
        help_text="Short and random (never positional); the server assigns one when it is "
        "left out.",
    )
    text = StrictCharField(max_length=ENTRY_TEXT_MAX)


class QuestionBlank(Shape):
    """A blank of a fill-in-the-blanks text."""

    id = IdField(required=False, help_text="The server assigns one when it is left out.")


class AcceptedAnswer(Shape):
    """An accepted text answer: trimmed and compared case-insensitively unless
    `case_sensitive`; with `regex`, a regular expression the whole trimmed response must
    match."""

    text = StrictCharField(max_length=SHORT_TEXT_MAX)
    regex = StrictBooleanField(required=False)
    case_sensitive = StrictBooleanField(required=False)


def entries(*, min_length: int = 1) -> serializers.ListField:
    return serializers.ListField(
        child=QuestionEntry(), min_length=min_length, max_length=MAX_OPTIONS
    )


def accepted_list() -> serializers.ListField:
    return serializers.ListField(child=AcceptedAnswer(), min_length=1, max_length=MAX_OPTIONS)


# --- data: what learners see ------------------------------------------------------------


class EmptyQuestionData(Shape):
    """True/false, short text, numeric and essay questions have no data: `{}`."""


class SingleData(Shape):
    options = entries()


class MultipleData(Shape):
    options = entries()
    scoring = MultipleScoringField(
        choices=SCORINGS["MultipleScoring"],
        required=False,
        help_text="Default all_or_nothing. partial: max(0, (right - penalty x wrong) / "
        "correct options).",
    )
    penalty = NumberField(
        required=False, help_text="0 to 10 (default 1): what one wrong pick takes away."
    )


class FillBlanksData(Shape):
    text = StrictCharField(
        required=False, allow_blank=True, max_length=20000, help_text="The text with blanks."
    )
    blanks = serializers.ListField(child=QuestionBlank(), min_length=1, max_length=MAX_OPTIONS)


class MatchingData(Shape):
    prompts = entries()
    choices = entries()
    scoring = MatchingScoringField(
        choices=SCORINGS["MatchingScoring"],
        required=False,
        help_text="Default partial: the share of pairs matched right.",
    )


class OrderingData(Shape):
    items = entries(min_length=2)
    scoring = OrderingScoringField(
        choices=SCORINGS["OrderingScoring"],
        required=False,
        help_text="Default all_or_nothing. per_position: the share of items in their place.",
    )


# --- keys: the answers -------------------------------------------------------------------

_ONE_CORRECT = "The correct option must be one of the options."


class SingleKey(Shape):
    correct = IdField(
        error_messages={"required": _ONE_CORRECT, "null": _ONE_CORRECT, "blank": _ONE_CORRECT},
        help_text="The id of the correct option.",
    )


class MultipleKey(Shape):
    correct = id_list(help_text="The ids of the correct options.")


class TrueFalseKey(Shape):
    correct = StrictBooleanField()


class ShortTextKey(Shape):
    accepted = accepted_list()


class NumericKey(Shape):
    value = NumberField()
    tolerance = NumberField(required=False, help_text="Default 0; not negative.")
    mode = serializers.ChoiceField(
        choices=["exact", "absolute", "relative"],
        required=False,
        help_text="Default exact. absolute: |r - v| <= tolerance; relative: |r - v| <= "
        "tolerance x |v|; edges included.",
    )


class FillBlanksKey(Shape):
    blanks = serializers.DictField(
        child=accepted_list(), help_text="Accepted answers of every blank, by blank id."
    )


class MatchingKey(Shape):
    pairs = serializers.DictField(
        child=IdField(), help_text="Every prompt id mapped to its choice id."
    )


class OrderingKey(Shape):
    order = id_list(min_length=2, help_text="Every item id once, in the correct order.")


class EssayKey(Shape):
    guidance = StrictCharField(
        required=False, allow_blank=True, max_length=20000, help_text="For the graders."
    )


# --- responses: what a learner answers ---------------------------------------------------


class SingleResponse(Shape):
    choice = IdField(help_text="The id of the option picked.")


class MultipleResponse(Shape):
    choices = id_list(min_length=0, help_text="The ids of the options picked.")


class TrueFalseResponse(Shape):
    value = StrictBooleanField()


class TextResponse(Shape):
    """Short text (at most 1,000 characters) and essay (at most 20,000) responses."""

    text = StrictCharField(allow_blank=True, trim_whitespace=False, max_length=ESSAY_MAX)


class NumericResponse(Shape):
    value = NumberField()


class FillBlanksResponse(Shape):
    blanks = serializers.DictField(
        child=StrictCharField(allow_blank=True, trim_whitespace=False, max_length=SHORT_TEXT_MAX),
        help_text="Blank id -> the text given for it (blanks left out are unanswered).",
    )


class MatchingResponse(Shape):
    pairs = serializers.DictField(
        child=IdField(), help_text="Prompt id -> the choice id matched to it."
    )


class OrderingResponse(Shape):
    order = id_list(min_length=0, help_text="Item ids in the order the learner put them.")


DATA_SHAPES: dict[str, type[Shape]] = {
    "single": SingleData,
    "multiple": MultipleData,
    "true_false": EmptyQuestionData,
    "short_text": EmptyQuestionData,
    "numeric": EmptyQuestionData,
    "fill_blanks": FillBlanksData,
    "matching": MatchingData,
    "ordering": OrderingData,
    "essay": EmptyQuestionData,
}
KEY_SHAPES: dict[str, type[Shape]] = {
    "single": SingleKey,
    "multiple": MultipleKey,
    "true_false": TrueFalseKey,
    "short_text": ShortTextKey,
    "numeric": NumericKey,
    "fill_blanks": FillBlanksKey,
    "matching": MatchingKey,
    "ordering": OrderingKey,
    "essay": EssayKey,
}
RESPONSE_SHAPES: dict[str, type[Shape]] = {
    "single": SingleResponse,
    "multiple": MultipleResponse,
    "true_false": TrueFalseResponse,
    "short_text": TextResponse,
    "numeric": NumericResponse,
    "fill_blanks": FillBlanksResponse,
    "matching": MatchingResponse,
    "ordering": OrderingResponse,
    "essay": TextResponse,
}
# What a response of each kind looks like, for the messages of a 400.
RESPONSE_EXAMPLES = {
    "single": '{"choice": "<option id>"}',
    "multiple": '{"choices": ["<option id>", ...]}',
    "true_false": '{"value": true | false}',
    "short_text": f'{{"text": "<at most {SHORT_TEXT_MAX} characters>"}}',
    "numeric": '{"value": "<number>"}',
    "fill_blanks": '{"blanks": {"<blank id>": "<text>"}}',
    "matching": '{"pairs": {"<prompt id>": "<choice id>"}}',
    "ordering": '{"order": ["<item id>", ...]}',
    "essay": f'{{"text": "<at most {ESSAY_MAX} characters>"}}',
}
# One instance per shape, reused: validating with `run_validation` keeps no state on the
# serializer, and building serializers per call would cost the autosave (the hottest
# endpoint) a copy of every field per answer.
_DATA = {kind: shape() for kind, shape in DATA_SHAPES.items()}
_KEY = {kind: shape() for kind, shape in KEY_SHAPES.items()}
_RESPONSE = {kind: shape() for kind, shape in RESPONSE_SHAPES.items()}


# --- validation -------------------------------------------------------------------------


def _flatten(detail: Any, attr: str) -> dict[str, list[ErrorDetail]]:
    """DRF's nested errors -> {"answers.0.response.choice": [ErrorDetail, ...]}."""
    if isinstance(detail, Mapping):
        out: dict[str, list[ErrorDetail]] = {}
        for name, value in detail.items():
            child = attr if name in NON_FIELD else f"{attr}.{name}" if attr else str(name)
            for key, items in _flatten(value, child).items():
                out.setdefault(key, []).extend(items)
        return out
    if isinstance(detail, list) and not all(isinstance(d, str) for d in detail):
        out = {}
        for index, value in enumerate(detail):
            if value:
                for key, items in _flatten(value, f"{attr}.{index}").items():
                    out.setdefault(key, []).extend(items)
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {attr: [d if isinstance(d, ErrorDetail) else ErrorDetail(str(d)) for d in items]}


def _refusal(errors: dict[str, list[ErrorDetail]], suffix: str = "") -> ValidationError:
    return ValidationError(
        {
            attr: [ValidationError(f"{d}{suffix}", code=d.code or "invalid") for d in items]
            for attr, items in errors.items()
        }
    )


def _shape(serializer: Serializer, value: Any, attr: str) -> dict[str, list[ErrorDetail]]:
    try:
        serializer.run_validation(value)
    except DRFValidationError as exc:
        return _flatten(exc.detail, attr)
    return {}


def clean_definition(kind: str, data: Any, key: Any) -> None:
    """Raises ValidationError (attrs `kind`, `data.*`, `key.*`) unless `data` and `key`
    have the kind's shape and make a gradable question. Entry ids are assigned already
    (the services do it)."""
    if kind not in KINDS:
        raise ValidationError({"kind": ValidationError("Unknown question kind.", code="invalid")})
    errors = _shape(_DATA[kind], data, "data") | _shape(_KEY[kind], key, "key")
    if errors:
        raise _refusal(errors)
    validate_definition(kind, data, key)


def _ids(data: dict[str, Any], name: str) -> list[str]:
    return [str(entry.get("id")) for entry in data.get(name, []) if isinstance(entry, dict)]


def _rule(response: dict[str, Any], kind: str, data: dict[str, Any]) -> dict[str, str]:
    """The rules a response of the right shape must meet: {field: message}."""
    if kind == "single":
        if response["choice"] not in _ids(data, "options"):
            return {"choice": "Not one of the question's option ids."}
    elif kind in ("multiple", "ordering"):
        name, entries_name = ("choices", "options") if kind == "multiple" else ("order", "items")
        picked = response[name]
        if not set(picked) <= set(_ids(data, entries_name)):
            return {name: f"Not one of the question's {entries_name[:-1]} ids."}
        if len(set(picked)) != len(picked):
            return {name: "Each id at most once."}
    elif kind == "short_text":
        if len(response["text"]) > SHORT_TEXT_MAX:
            return {"text": f"At most {SHORT_TEXT_MAX} characters."}
    elif kind == "fill_blanks":
        unknown = sorted(set(response["blanks"]) - set(_ids(data, "blanks")))
        if unknown:
            return {f"blanks.{unknown[0]}": "Not one of the question's blank ids."}
    elif kind == "matching":
        pairs = response["pairs"]
        unknown = sorted(set(pairs) - set(_ids(data, "prompts")))
        if unknown:
            return {f"pairs.{unknown[0]}": "Not one of the question's prompt ids."}
        choices = set(_ids(data, "choices"))
        wrong = sorted(prompt for prompt, choice in pairs.items() if choice not in choices)
        if wrong:
            return {f"pairs.{wrong[0]}": "Not one of the question's choice ids."}
    return {}


def clean_response(
    kind: str, data: dict[str, Any], response: Any, *, attr: str = "response"
) -> dict[str, Any] | None:
    """The learner's response in its canonical shape; None (or `{}`) clears the answer.
    A wrong shape or an id the question does not have raises ValidationError naming the
    field (`<attr>.choice`, `<attr>.pairs.p1`, ...) and the shape expected."""
    if response is None or response == {}:
        return None
    if kind not in KINDS:
        raise ValidationError({attr: ValidationError("Unknown question kind.", code="invalid")})
    expected = f" Expected {RESPONSE_EXAMPLES[kind]}, or null to clear the answer."
    if not isinstance(response, Mapping):
        raise _refusal({attr: [ErrorDetail("Not an object.", code="invalid")]}, expected)
    try:
        cleaned = _RESPONSE[kind].run_validation(response)
    except DRFValidationError as exc:
        raise _refusal(_flatten(exc.detail, attr), expected) from exc
    broken = _rule(cleaned, kind, data)
    if broken:
        raise _refusal(
            {
                f"{attr}.{field}": [ErrorDetail(message, code="invalid")]
                for field, message in broken.items()
            },
            expected,
        )
    return {name: _plain(value) for name, value in cleaned.items()}


def _plain(value: Any) -> Any:
    """Validated data with plain dicts and lists (what the JSON column stores)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
