"""manage.py export_course SLUG > course.json"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.models import Course
from courses.services import course_export


class Command(BaseCommand):
    help = "Write a course (details, category, tags, modules, lessons) as JSON to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        course = Course.objects.filter(slug=options["slug"]).first()
        if course is None:
            raise CommandError(f"No course with the slug {options['slug']!r}.")
        data = course_export(course=course)
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
