"""A demo quiz with several question types in the demo Python course, linked to its
"Check yourself" lesson (called by `seed_demo_courses` at its end, by name), and one
submitted attempt, not passed yet, by seed_demo's demo learner.

Idempotent: a course that already has the demo quiz is left alone. Everything goes
through the quiz services, like the pages and the API.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from courses.models import Course, Lesson
from enrollments.selectors import seated_enrollment_of
from enrollments.services import enrollment_create
from lms.errors import ServiceError
from quizzes import selectors, services
from quizzes.models import Quiz

COURSE_SLUG = "demo-python-from-scratch"
OWNER = "instructor1@demo.lms"
QUIZ_TITLE = "Check yourself: Python basics"
LESSON_TITLE = "Check yourself"
LEARNER = "learner@demo.lms"  # seed_demo's demo learner
# The learner's answers by question kind (three of the seven: a score below the pass mark).
LEARNER_ANSWERS: dict[str, dict[str, Any]] = {
    "single": {"choice": "o7f1"},
    "true_false": {"value": True},
    "short_text": {"text": "def"},
}

# (kind, prompt, data, key, points); option ids are fixed here only to write the key.
QUESTIONS: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    ("single", "What does `len('abc')` return?",
     {"options": [{"id": "o7f1", "text": "3"}, {"id": "o2c9", "text": "2"},
                  {"id": "o9a4", "text": "'abc'"}]},
     {"correct": "o7f1"}, "1"),
    ("multiple", "Which of these are immutable?",
     {"options": [{"id": "m1x", "text": "tuple"}, {"id": "m8q", "text": "list"},
                  {"id": "m3k", "text": "str"}, {"id": "m5z", "text": "dict"}],
      "scoring": "partial", "penalty": "1"},
     {"correct": ["m1x", "m3k"]}, "2"),
    ("true_false", "`None` is falsy.", {}, {"correct": True}, "1"),
    ("short_text", "Which keyword defines a function?", {},
     {"accepted": [{"text": "def"}]}, "1"),
    ("numeric", "What is `7 / 2`?", {}, {"value": "3.5", "tolerance": "0", "mode": "exact"}, "1"),
    ("ordering", "Order these from smallest to largest.",
     {"items": [{"id": "ra", "text": "1"}, {"id": "rb", "text": "10"},
                {"id": "rc", "text": "100"}], "scoring": "per_position"},
     {"order": ["ra", "rb", "rc"]}, "2"),
    ("essay", "Explain the difference between a list and a tuple.", {},
     {"guidance": "Mutability; when to use each."}, "4"),
]  # fmt: skip


class Command(BaseCommand):
    help = "Create a demo quiz (several question types) in the demo Python course."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Allow seeding when DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to seed demo data with DEBUG off; pass --force.")
        course = Course.objects.filter(slug=COURSE_SLUG).first()
        owner = User.objects.filter(email=OWNER).first()
        if course is None or owner is None:
            raise CommandError("Run seed_demo first: the demo course or instructor is missing.")
        if Quiz.objects.filter(course=course, title=QUIZ_TITLE).exists():
            self.stdout.write("seed_demo_quizzes: 0 quizzes created, 1 already there.")
            return
        with transaction.atomic():  # seeded whole or not at all
            quiz = self._quiz(course, owner)
            learner = User.objects.filter(email=LEARNER).first()
            if learner is not None:
                self._attempt(quiz, learner)
        self.stdout.write("seed_demo_quizzes: 1 quiz created.")

    def _attempt(self, quiz: Quiz, learner: User) -> None:
        """The learner's first attempt, submitted with a few answers (not passed)."""
        try:
            enrollment_create(user=learner, course=quiz.course)
        except ServiceError as refusal:  # already enrolled is fine
            if refusal.code != "already_enrolled":
                raise
        enrollment = seated_enrollment_of(user_id=learner.pk, course_id=quiz.course_id)
        if enrollment is None:
            return
        attempt, _ = services.attempt_start(quiz=quiz, user=learner, enrollment=enrollment)
        answers = [
            {"answer_id": answer.pk, "response": LEARNER_ANSWERS[answer.question.kind]}
            for answer in selectors.attempt_answers(attempt=attempt)
            if answer.question.kind in LEARNER_ANSWERS
        ]
        attempt, _ = services.attempt_answers_save(attempt=attempt, answers=answers)
        services.attempt_submit(attempt=attempt)

    def _quiz(self, course: Course, owner: User) -> Quiz:
        bank = services.bank_create(course=course, title="Python basics")
        lesson = Lesson.objects.filter(module__course=course, title=LESSON_TITLE).first()
        quiz = services.quiz_create(
            course=course,
            by=owner,
            title=QUIZ_TITLE,
            instructions="Twenty minutes, three attempts; your best attempt counts.",
            lesson=lesson,
            time_limit_minutes=20,
            max_attempts=3,
            passing_score_percent=60,
            shuffle_options=True,
            results_policy=Quiz.Reveal.AFTER_SUBMIT,
            answers_policy=Quiz.Reveal.AFTER_SUBMIT,
            published=True,
        )
        for kind, prompt, data, key, points in QUESTIONS:
            services.quiz_question_add(
                quiz=quiz, bank=bank, kind=kind, prompt=prompt, data=data, key=key, points=points
            )
        return quiz
