"""Demo assignment for the demo data (`seed_demo_courses` calls this at its end): an
assignment with a rubric on "SQL for analysts", three enrolled demo students who handed
in, two released grades and one draft.

Idempotent: if the demo assignment exists nothing is created. Everything goes through the
services, like the pages and the API.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assignments.models import Assignment
from assignments.services import assignment_create, grade_submission, submission_create
from courses.models import Course, Lesson
from enrollments.services import enrollment_create
from lms.errors import ServiceError

COURSE_SLUG = "demo-sql-for-analysts"
TITLE = "Practice queries"
RUBRIC = [
    {
        "id": "correct",
        "title": "Correct results",
        "levels": [
            {"id": "some", "title": "Some queries right", "points": "20"},
            {"id": "most", "title": "Most queries right", "points": "45"},
            {"id": "all", "title": "All queries right", "points": "70"},
        ],
    },
    {
        "id": "clear",
        "title": "Readable SQL",
        "levels": [
            {"id": "messy", "title": "Hard to follow", "points": "5"},
            {"id": "clean", "title": "Clean and commented", "points": "30"},
        ],
    },
]
# (student, rubric selections or points, released)
WORK: list[tuple[str, Any, bool]] = [
    ("student2@demo.lms", {"correct": "all", "clear": "clean"}, True),
    ("student3@demo.lms", {"correct": "most", "clear": "messy"}, True),
    ("student4@demo.lms", Decimal("62"), False),
]


class Command(BaseCommand):
    help = "Create the demo assignment with a rubric and a few graded submissions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Allow seeding when DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to seed demo data with DEBUG off; pass --force.")
        course = Course.objects.filter(slug=COURSE_SLUG).first()
        if course is None:
            raise CommandError(f"Run seed_demo_courses first: no course {COURSE_SLUG}.")
        if Assignment.objects.filter(course=course, title=TITLE).exists():
            self.stdout.write("seed_demo_assignments: already there.")
            return
        owner = User.objects.get(email="instructor2@demo.lms")
        with transaction.atomic():  # seeded whole or not at all
            assignment = assignment_create(
                course=course,
                by=owner,
                title=TITLE,
                instructions="Answer the five questions in `questions.txt` with SQL.",
                lesson=Lesson.objects.filter(module__course=course, title=TITLE).first(),
                allow_text=True,
                allow_files=True,
                allowed_extensions=["txt", "pdf"],
                points_possible=Decimal("100"),
                due_at=timezone.now() + timedelta(days=7),
                late_policy=Assignment.LatePolicy.PENALTY,
                late_penalty_per_day=Decimal("10"),
                late_penalty_floor=Decimal("50"),
                max_resubmissions=2,
                rubric=RUBRIC,
                is_published=True,
            )
            for email, grade, released in WORK:
                student = User.objects.get(email=email)
                try:
                    enrollment_create(user=student, course=course)
                except ServiceError as refusal:  # already enrolled is fine
                    if refusal.code != "already_enrolled":
                        raise
                submission = submission_create(
                    assignment=assignment,
                    user=student,
                    text="SELECT region, SUM(amount) FROM sales GROUP BY region;",
                )
                grade_submission(
                    submission=submission,
                    by=owner,
                    points=grade if isinstance(grade, Decimal) else None,
                    rubric_selections=grade if isinstance(grade, dict) else None,
                    feedback="Nice use of GROUP BY." if released else "",
                    release=released,
                )
        self.stdout.write("seed_demo_assignments: 1 assignment, 3 submissions, 2 released grades.")
