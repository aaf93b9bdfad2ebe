from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.models import Course
from enrollments.services import progress_recompute


class Command(BaseCommand):
    help = "Recompute the stored progress rollups (all courses, or one with --course)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", metavar="SLUG", help="Only this course.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        courses = Course.objects.order_by("pk")
        if options["course"]:
            courses = courses.filter(slug=options["course"])
            if not courses.exists():
                raise CommandError(f"No course with slug {options['course']!r}.")
        total = 0
        for course_id in (
            courses.filter(enrollments__isnull=False).distinct().values_list("pk", flat=True)
        ):
            total += progress_recompute(course_id=course_id, batch_size=options["batch_size"])
        self.stdout.write(f"{total} enrollment(s) updated.")
