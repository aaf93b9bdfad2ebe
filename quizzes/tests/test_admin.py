"""The admin shows quizzes, banks, questions and attempts and changes nothing."""

import pytest
from django.test import Client

from quizzes import services
from quizzes.models import Attempt
from quizzes.tests.conftest import build_quiz

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_but_never_writes(people, course):
    quiz = build_quiz(course, people.owner, kinds=("single", "essay"))
    attempt, _ = services.attempt_start(
        quiz=quiz, user=people.student, enrollment=people.student.enrollments.get()
    )
    client = Client()
    client.force_login(people.admin)
    for model in ("quiz", "questionbank", "question", "attempt"):
        assert client.get(f"/admin/quizzes/{model}/").status_code == 200, model
        assert client.get(f"/admin/quizzes/{model}/add/").status_code == 403, model
    page = client.get(f"/admin/quizzes/attempt/{attempt.pk}/change/")
    assert page.status_code == 200
    client.post(f"/admin/quizzes/attempt/{attempt.pk}/change/", {"status": "submitted"})
    assert Attempt.objects.get(pk=attempt.pk).status == "in_progress"
    assert (
        client.post(f"/admin/quizzes/attempt/{attempt.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
