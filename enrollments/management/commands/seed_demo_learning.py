"""The demo learner's progress (`seed_demo` calls this after the demo courses): enrolled in
"Python from scratch" with some lessons completed and a video half watched, and in "SQL
for analysts" with its first lesson done, so My learning and the lesson player show real
progress on the first run. (The learner's quiz attempt comes with the demo quiz, in
quizzes' seed_demo_quizzes.)

Everything goes through the enrollments services, so the stored rollups are right.
Idempotent: a learner who already completed lessons in a course is left alone there.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.selectors import users_active_by_email
from courses.models import Course
from courses.selectors import lesson_list
from enrollments import selectors
from enrollments.models import Enrollment
from enrollments.services import enrollment_create, lesson_complete, lesson_progress_record
from lms.errors import ServiceError

LEARNER = "learner@demo.lms"
HEARTBEAT_SECONDS = 30  # what the player would send while the video plays
# course slug -> (lessons completed, (video lesson, seconds watched) or None)
PROGRESS: dict[str, tuple[list[str], tuple[str, int] | None]] = {
    "demo-python-from-scratch": (
        ["Why Python?", "The official tutorial", "Values and types"],
        ("Installing Python", 240),
    ),
    "demo-sql-for-analysts": (["Your first SELECT"], None),
}


class Command(BaseCommand):
    help = "Give seed_demo's learner progress in two demo courses. Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Allow seeding when DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to seed demo data with DEBUG off; pass --force.")
        learner = users_active_by_email(emails={LEARNER}).get(LEARNER)
        if learner is None:
            raise CommandError(f"Run seed_demo first: missing {LEARNER}.")
        seeded = 0
        for slug, (completed, video) in PROGRESS.items():
            course = Course.objects.filter(slug=slug).first()
            if course is None:
                raise CommandError(f"Run seed_demo_courses first: no course {slug}.")
            with transaction.atomic():  # a course's progress is seeded whole or not at all
                seeded += self._progress(learner, course, completed, video)
        self.stdout.write(
            f"seed_demo_learning: {LEARNER} progressed in {seeded} course(s), "
            f"{len(PROGRESS) - seeded} already there."
        )

    def _progress(
        self, learner: Any, course: Course, completed: list[str], video: tuple[str, int] | None
    ) -> int:
        try:
            enrollment = enrollment_create(user=learner, course=course)
        except ServiceError as refusal:  # enrolled before (by this or the quiz seed)
            if refusal.code != "already_enrolled":
                raise
            enrollment = Enrollment.objects.get(user=learner, course=course)
        if enrollment.completed_count:
            return 0
        lessons = {lesson.title: lesson for lesson in lesson_list(course=course)}
        for title in completed:
            enrollment, _ = lesson_complete(enrollment=enrollment, lesson=lessons[title])
        if video is not None:
            lesson, watched = lessons[video[0]], video[1]
            if selectors.lesson_progress_of(enrollment=enrollment, lesson_id=lesson.pk) is None:
                for position in range(HEARTBEAT_SECONDS, watched + 1, HEARTBEAT_SECONDS):
                    _, enrollment, _ = lesson_progress_record(
                        enrollment=enrollment, lesson=lesson, position_seconds=position
                    )
        return 1
