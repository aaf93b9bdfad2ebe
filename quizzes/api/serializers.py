"""Serializers of the quizzes API: the inputs (strict: an unknown field is a 400), and the
documented shapes of the outputs, which quizzes.presenters builds by allow-list so that
nothing leaks by accident.

Question payloads are typed per kind with the serializers of quizzes.payloads (the ones
that validate them): a question, an attempt's question, and the question kinds' `data`,
`key` and `response` appear in OpenAPI as a `oneOf` discriminated by `kind`.
"""

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from lms.api.serializers import Serializer
from quizzes import payloads
from quizzes.api.schema import AnyOfProxySerializer, NullableField
from quizzes.grading import KINDS
from quizzes.models import Quiz

REVEAL = [c for c, _ in Quiz.Reveal.choices]
POLICIES = [c for c, _ in Quiz.ScorePolicy.choices]
LABELS = {
    "single": "single choice",
    "multiple": "multiple choice",
    "true_false": "true/false",
    "short_text": "short text",
    "numeric": "numeric",
    "fill_blanks": "fill in the blanks",
    "matching": "matching",
    "ordering": "ordering",
    "essay": "essay",
}


def _camel(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


def _points(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, max_value=10000, **kwargs
    )


def _tags(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=20, **kwargs
    )


# --- the discriminator ------------------------------------------------------------------


class _KindField(serializers.Field):  # type: ignore[type-arg]
    """`kind` of one question kind: always that value."""

    kind = ""

    def to_representation(self, value: Any) -> str:
        return self.kind

    def to_internal_value(self, data: Any) -> str:
        if data != self.kind:
            self.fail("invalid")
        return self.kind


# One class per kind (the schema names one component per class): `{"enum": [kind]}` as a
# component of its own, which keeps the enum hook from merging nine `kind` enums.
_KIND_FIELDS = {
    kind: extend_schema_field(
        {"type": "string", "enum": [kind]}, component_name=f"{_camel(kind)}Kind"
    )(
        type(
            f"{_camel(kind)}KindField",
            (_KindField,),
            {"kind": kind, "default_error_messages": {"invalid": f'Must be "{kind}".'}},
        )
    )
    for kind in KINDS
}


def _kind_field(kind: str) -> serializers.Field:  # type: ignore[type-arg]
    return _KIND_FIELDS[kind]()


def _per_kind(
    suffix: str, doc: str, fields: Any, base: type[Serializer] = Serializer
) -> dict[str, type[Serializer]]:
    """{kind: serializer class named <Kind><suffix>} built by `fields(kind)` (a dict of
    fields, in order)."""
    return {
        kind: type(
            f"{_camel(kind)}{suffix}",
            (base,),
            {"__doc__": doc.format(label=LABELS[kind]), "__module__": __name__, **fields(kind)},
        )
        for kind in KINDS
    }


def _required(shape: type[Serializer]) -> bool:
    return any(field.required for field in shape().fields.values())


# --- inputs -----------------------------------------------------------------------------


class QuizInputSerializer(Serializer):
    title = serializers.CharField(max_length=200)
    instructions = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    published = serializers.BooleanField(required=False)
    lesson = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    time_limit_minutes = serializers.IntegerField(
        allow_null=True, required=False, min_value=1, max_value=24 * 60
    )
    max_attempts = serializers.IntegerField(required=False, min_value=1, max_value=100)
    passing_score_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    score_policy = serializers.ChoiceField(choices=POLICIES, required=False)
    shuffle_questions = serializers.BooleanField(required=False)
    shuffle_options = serializers.BooleanField(required=False)
    opens_at = serializers.DateTimeField(allow_null=True, required=False)
    closes_at = serializers.DateTimeField(allow_null=True, required=False)
    due_at = serializers.DateTimeField(allow_null=True, required=False)
    results_policy = serializers.ChoiceField(choices=REVEAL, required=False)
    answers_policy = serializers.ChoiceField(choices=REVEAL, required=False)


class BankInputSerializer(Serializer):
    title = serializers.CharField(max_length=200)


# What the views validate; the service then checks `data` and `key` against the kind's
# shapes (quizzes.payloads). The schema shows the same per kind: QUESTION_INPUT below.
class QuestionInputSerializer(Serializer):
    kind = serializers.ChoiceField(choices=list(KINDS))
    prompt = serializers.CharField(max_length=20000)
    data = serializers.JSONField(required=False)  # type: ignore[assignment]
    key = serializers.JSONField(required=False)
    points = _points(required=False)
    tags = _tags(required=False)


QUESTION_INPUTS = _per_kind(
    "QuestionInput",
    "A {label} question. `data` and `key` have the shapes of this kind; entries without "
    "an `id` get one.",
    lambda kind: {
        "kind": _kind_field(kind),
        "prompt": serializers.CharField(max_length=20000),
        "data": payloads.DATA_SHAPES[kind](required=_required(payloads.DATA_SHAPES[kind])),
        "key": payloads.KEY_SHAPES[kind](required=_required(payloads.KEY_SHAPES[kind])),
        "points": _points(required=False, help_text="Default 1."),
        "tags": _tags(required=False),
    },
)
QUESTION_INPUT = PolymorphicProxySerializer(
    component_name="QuestionInput",
    serializers=list(QUESTION_INPUTS.values()),
    resource_type_field_name="kind",
)
# A PATCH need not name the kind (the question's own applies): any of the kinds' bodies,
# every field optional.
QUESTION_PATCH = AnyOfProxySerializer(
    component_name="QuestionInput",
    serializers=list(QUESTION_INPUTS.values()),
    resource_type_field_name=None,
    many=False,
    partial=True,
)


class ItemInputSerializer(Serializer):
    question = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    draw_bank = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    draw_tag = serializers.CharField(required=False, allow_blank=True, max_length=50)
    draw_count = serializers.IntegerField(required=False, min_value=0, max_value=100, default=0)
    points = _points(required=False)


RESPONSE = PolymorphicProxySerializer(
    component_name="QuizResponse",
    serializers=list(dict.fromkeys(payloads.RESPONSE_SHAPES.values())),
    resource_type_field_name=None,
    many=False,
)


class AnswerEntrySerializer(Serializer):
    """One answer of an autosave."""

    answer_id = serializers.IntegerField(min_value=1)
    response = NullableField(
        lambda: RESPONSE,
        help_text="The shape of the question's kind (single: `choice`, multiple: "
        "`choices`, true_false: `value` true/false, short_text and essay: `text`, numeric: "
        "`value` a number, fill_blanks: `blanks`, matching: `pairs`, ordering: `order`); "
        "null or `{}` clears the answer.",
    )


class AnswersInputSerializer(Serializer):
    answers = serializers.ListField(child=AnswerEntrySerializer(), max_length=500)


class GradeInputSerializer(Serializer):
    points = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    feedback = serializers.CharField(allow_blank=True, required=False, max_length=20000)


# --- outputs: questions -----------------------------------------------------------------

QUESTIONS = _per_kind(
    "Question",
    "A {label} question, its answer key included (the course team's view).",
    lambda kind: {
        "id": serializers.IntegerField(),
        "bank": serializers.IntegerField(),
        "kind": _kind_field(kind),
        "prompt": serializers.CharField(),
        "data": payloads.DATA_SHAPES[kind](),
        "key": payloads.KEY_SHAPES[kind](),
        "points": serializers.DecimalField(max_digits=8, decimal_places=2),
        "tags": serializers.ListField(child=serializers.CharField()),
    },
)
QUESTION = PolymorphicProxySerializer(
    component_name="Question",
    serializers=list(QUESTIONS.values()),
    resource_type_field_name="kind",
)
QUESTION_LIST = PolymorphicProxySerializer(
    component_name="Question",
    serializers=list(QUESTIONS.values()),
    resource_type_field_name="kind",
    many=True,
)


class DrawOutSerializer(Serializer):
    bank = serializers.IntegerField(allow_null=True)
    bank_title = serializers.CharField(allow_null=True)
    tag = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()


class ItemOutSerializer(Serializer):
    """A fixed question (`question`) or a random draw (`draw`), each question worth
    `points`."""

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=8, decimal_places=2)
    question = NullableField(lambda: QUESTION)
    draw = NullableField(DrawOutSerializer)


class LearnerStateSerializer(Serializer):
    attempts_used = serializers.IntegerField()
    attempts_allowed = serializers.IntegerField(help_text="With the learner's accommodation.")
    time_multiplier = serializers.DecimalField(max_digits=4, decimal_places=2)
    attempt_in_progress = serializers.IntegerField(allow_null=True)


class QuizOutSerializer(Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField()
    lesson = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    instructions = serializers.CharField()
    passing_score_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    max_attempts = serializers.IntegerField()
    score_policy = serializers.ChoiceField(choices=POLICIES)
    shuffle_questions = serializers.BooleanField()
    shuffle_options = serializers.BooleanField()
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    results_policy = serializers.ChoiceField(choices=REVEAL)
    answers_policy = serializers.ChoiceField(choices=REVEAL)
    published = serializers.BooleanField()
    question_count = serializers.IntegerField(required=False, help_text="In lists.")
    points_possible = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, help_text="The course team's view."
    )
    items = ItemOutSerializer(
        many=True,
        required=False,
        help_text="The course team's view: every item of the quiz (a bounded list).",
    )
    me = NullableField(LearnerStateSerializer, required=False, help_text="A learner's view.")


class BankOutSerializer(Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    question_count = serializers.IntegerField(required=False)


# --- outputs: attempts ------------------------------------------------------------------


class PresentedEntry(Serializer):
    """An option, prompt, choice or item as learners see it, in the attempt's order."""

    id = serializers.CharField()
    text = serializers.CharField()


class PresentedBlank(Serializer):
    id = serializers.CharField()


def _entries() -> Any:
    return PresentedEntry(many=True)


PRESENTATION: dict[str, dict[str, Any]] = {
    "single": {"options": _entries},
    "multiple": {
        "options": _entries,
        "scoring": lambda: payloads.MultipleScoringField(
            choices=payloads.SCORINGS["MultipleScoring"]
        ),
    },
    "fill_blanks": {
        "text": serializers.CharField,
        "blanks": lambda: PresentedBlank(many=True),
    },
    "matching": {"prompts": _entries, "choices": _entries},
    "ordering": {"items": _entries},
}

ATTEMPT_QUESTIONS = _per_kind(
    "AttemptQuestion",
    "A {label} question of an attempt, as its learner sees it (never its key), with the "
    "saved response.",
    lambda kind: {
        "answer_id": serializers.IntegerField(help_text="Name it when autosaving."),
        "position": serializers.IntegerField(),
        "kind": _kind_field(kind),
        "prompt": serializers.CharField(),
        "points": serializers.DecimalField(max_digits=8, decimal_places=2),
        "response": NullableField(payloads.RESPONSE_SHAPES[kind]),
        "saved_at": serializers.DateTimeField(allow_null=True),
        **{name: make() for name, make in PRESENTATION.get(kind, {}).items()},
    },
)


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="AttemptQuestion",
        serializers=list(ATTEMPT_QUESTIONS.values()),
        resource_type_field_name="kind",
    )
)
class AttemptQuestionField(serializers.DictField):
    pass


@extend_schema_field(
    {
        "anyOf": [
            {"$ref": f"#/components/schemas/{shape.__name__}"}
            for shape in dict.fromkeys(payloads.KEY_SHAPES.values())
        ],
        "description": "The answer key of the question (the shape of its kind; see the "
        "`Question` schemas).",
    }
)
class KeyField(serializers.DictField):
    pass


class AnswerResultSerializer(Serializer):
    answer_id = serializers.IntegerField()
    points_awarded = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text="null while ungraded."
    )
    feedback = serializers.CharField()
    correct = serializers.BooleanField(
        required=False, allow_null=True, help_text="Only as the correct-answers policy allows."
    )
    key = KeyField(required=False, help_text="Only as the correct-answers policy allows.")


class AttemptResultsSerializer(Serializer):
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    max_score = serializers.DecimalField(max_digits=8, decimal_places=2)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    final = serializers.BooleanField(help_text="false while an essay waits for a grader.")
    answers = AnswerResultSerializer(many=True)


class AttemptOutSerializer(Serializer):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField()
    user = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["in_progress", "submitted"])
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    auto_submitted = serializers.BooleanField()
    questions = serializers.ListField(
        child=AttemptQuestionField(), help_text="Every question of the attempt, in order."
    )
    results = NullableField(
        AttemptResultsSerializer, help_text="Only as the quiz's results policy allows."
    )


class SavedAnswerSerializer(Serializer):
    answer_id = serializers.IntegerField()
    response = NullableField(lambda: RESPONSE)
    saved_at = serializers.DateTimeField(allow_null=True)


class AutosaveOutSerializer(Serializer):
    """The attempt's clock and the answers the request named, as saved."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    answers = SavedAnswerSerializer(many=True)


class AttemptSummarySerializer(Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    max_score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    passed = serializers.BooleanField(allow_null=True)
    final = serializers.BooleanField(allow_null=True)


# --- outputs: grading and statistics ----------------------------------------------------


class QueueLearnerSerializer(Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()


class QueueQuestionSerializer(Serializer):
    id = serializers.IntegerField()
    prompt = serializers.CharField()


class QueueEntrySerializer(Serializer):
    """An essay answer of a submitted attempt that waits for points."""

    answer_id = serializers.IntegerField()
    attempt = serializers.IntegerField()
    learner = QueueLearnerSerializer()
    submitted_at = serializers.DateTimeField()
    question = QueueQuestionSerializer()
    guidance = serializers.CharField()
    response = NullableField(payloads.TextResponse)
    points_possible = serializers.DecimalField(max_digits=8, decimal_places=2)


class GradedAttemptSerializer(Serializer):
    id = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    final = serializers.BooleanField()
    passed = serializers.BooleanField(allow_null=True)


class GradeResultSerializer(Serializer):
    answer_id = serializers.IntegerField()
    points_awarded = serializers.DecimalField(max_digits=8, decimal_places=2)
    feedback = serializers.CharField()
    attempt = GradedAttemptSerializer()


# `from` is a Python keyword, so this one is built with type().
HistogramBinSerializer = type(
    "HistogramBin",
    (Serializer,),
    {
        "__module__": __name__,
        "__doc__": "Attempts whose percent is in [from, to) (the last bin includes 100).",
        "from": serializers.IntegerField(),
        "to": serializers.IntegerField(),
        "count": serializers.IntegerField(),
    },
)


class QuestionStatisticsSerializer(Serializer):
    question_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    prompt = serializers.CharField()
    answers = serializers.IntegerField()
    difficulty = serializers.FloatField(help_text="The share of answers with full credit.")
    discrimination = serializers.FloatField(
        allow_null=True,
        help_text="Point-biserial correlation of full credit with the attempt's percent.",
    )
    option_counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="Choice questions: option id -> picks."
    )


class StatisticsSerializer(Serializer):
    """Over the submitted attempts; `histogram` (ten bins) and `questions` (one per
    question answered) are bounded lists."""

    attempts = serializers.IntegerField()
    histogram = HistogramBinSerializer(many=True)
    questions = QuestionStatisticsSerializer(many=True)
