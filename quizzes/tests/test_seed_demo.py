"""`seed_demo` (through seed_demo_courses) adds a demo quiz of several types, once."""

from io import StringIO

import pytest
from django.core.management import call_command

from quizzes.models import Question, Quiz

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_quiz_of_several_types_and_is_idempotent():
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    assert "seed_demo_quizzes: 1 quiz created." in out.getvalue()
    quiz = Quiz.objects.get(course__slug="demo-python-from-scratch")
    assert quiz.published and quiz.lesson is not None and quiz.lesson.title == "Check yourself"
    kinds = set(Question.objects.filter(quiz_items__quiz=quiz).values_list("kind", flat=True))
    assert {"single", "multiple", "true_false", "numeric", "essay"} <= kinds

    again = StringIO()
    call_command("seed_demo", force=True, stdout=again)
    assert "seed_demo_quizzes: 0 quizzes created, 1 already there." in again.getvalue()
    assert Quiz.objects.count() == 1
