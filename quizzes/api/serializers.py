"""Input serializers of the quizzes API (outputs are built by quizzes.presenters, by
allow-list, so that nothing leaks by accident)."""

from typing import Any

from rest_framework import serializers

from quizzes.grading import KINDS
from quizzes.models import Quiz

REVEAL = [c for c, _ in Quiz.Reveal.choices]
POLICIES = [c for c, _ in Quiz.ScorePolicy.choices]


class QuizInputSerializer(serializers.Serializer[Any]):
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


class BankInputSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)


class QuestionInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=list(KINDS))
    prompt = serializers.CharField(max_length=20000)
    data = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]
    key = serializers.DictField(required=False, default=dict)
    points = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, max_value=10000, required=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=20
    )


class ItemInputSerializer(serializers.Serializer[Any]):
    question = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    draw_bank = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    draw_tag = serializers.CharField(required=False, allow_blank=True, max_length=50)
    draw_count = serializers.IntegerField(required=False, min_value=0, max_value=100, default=0)
    points = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=0, max_value=10000, required=False
    )


class AnswerEntrySerializer(serializers.Serializer[Any]):
    answer_id = serializers.IntegerField(min_value=1)
    response = serializers.JSONField(allow_null=True)


class AnswersInputSerializer(serializers.Serializer[Any]):
    answers = serializers.ListField(child=AnswerEntrySerializer(), max_length=500)


class GradeInputSerializer(serializers.Serializer[Any]):
    points = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    feedback = serializers.CharField(allow_blank=True, required=False, max_length=20000)


# --- outputs (documentation of what quizzes.presenters builds) ----------------------------


class QuestionOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    bank = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    prompt = serializers.CharField()
    data = serializers.DictField()  # type: ignore[assignment]
    key = serializers.DictField()
    points = serializers.DecimalField(max_digits=8, decimal_places=2)
    tags = serializers.ListField(child=serializers.CharField())


class DrawOutSerializer(serializers.Serializer[Any]):
    bank = serializers.IntegerField(allow_null=True)
    bank_title = serializers.CharField(allow_null=True)
    tag = serializers.CharField(allow_null=True)
    count = serializers.IntegerField()


class ItemOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=8, decimal_places=2)
    question = QuestionOutSerializer(allow_null=True)
    draw = DrawOutSerializer(allow_null=True)


class QuizOutSerializer(serializers.Serializer[Any]):
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
    question_count = serializers.IntegerField(required=False)
    points_possible = serializers.DecimalField(max_digits=8, decimal_places=2, required=False)
    items = ItemOutSerializer(many=True, required=False)
    me = serializers.DictField(required=False, allow_null=True)


class BankOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    question_count = serializers.IntegerField(required=False)


class LearnerQuestionSerializer(serializers.Serializer[Any]):
    answer_id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=list(KINDS))
    prompt = serializers.CharField()
    points = serializers.DecimalField(max_digits=8, decimal_places=2)
    response = serializers.JSONField(allow_null=True)
    saved_at = serializers.DateTimeField(allow_null=True)
    options = serializers.ListField(child=serializers.DictField(), required=False)
    prompts = serializers.ListField(child=serializers.DictField(), required=False)
    choices = serializers.ListField(child=serializers.DictField(), required=False)
    items = serializers.ListField(child=serializers.DictField(), required=False)
    blanks = serializers.ListField(child=serializers.DictField(), required=False)
    text = serializers.CharField(required=False)


class AttemptOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    quiz = serializers.IntegerField()
    user = serializers.IntegerField()
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["in_progress", "submitted"])
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    auto_submitted = serializers.BooleanField()
    questions = LearnerQuestionSerializer(many=True)
    results = serializers.DictField(allow_null=True, help_text="Only as the policies allow.")


class SavedAnswerSerializer(serializers.Serializer[Any]):
    answer_id = serializers.IntegerField()
    response = serializers.JSONField(allow_null=True)
    saved_at = serializers.DateTimeField(allow_null=True)


class AutosaveOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    answers = SavedAnswerSerializer(many=True)


class AttemptSummarySerializer(serializers.Serializer[Any]):
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


class QueueEntrySerializer(serializers.Serializer[Any]):
    answer_id = serializers.IntegerField()
    attempt = serializers.IntegerField()
    learner = serializers.DictField()
    submitted_at = serializers.DateTimeField()
    question = serializers.DictField()
    guidance = serializers.CharField()
    response = serializers.JSONField(allow_null=True)
    points_possible = serializers.DecimalField(max_digits=8, decimal_places=2)


class GradeResultSerializer(serializers.Serializer[Any]):
    answer_id = serializers.IntegerField()
    points_awarded = serializers.DecimalField(max_digits=8, decimal_places=2)
    feedback = serializers.CharField()
    attempt = serializers.DictField()


class StatisticsSerializer(serializers.Serializer[Any]):
    attempts = serializers.IntegerField()
    histogram = serializers.ListField(child=serializers.DictField())
    questions = serializers.ListField(child=serializers.DictField())
