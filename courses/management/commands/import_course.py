"""manage.py import_course course.json --owner EMAIL"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.selectors import user_active_by_email
from courses.services import course_import


class Command(BaseCommand):
    help = (
        "Create a draft course from an export_course file. The exported slug is kept when "
        "free, else the next free one is used."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="an export_course JSON file ('-' for stdin)")
        parser.add_argument("--owner", required=True, help="email of the course's owner")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = user_active_by_email(email=options["owner"])
        if owner is None:
            raise CommandError(f"No active user with the email {options['owner']!r}.")
        try:
            text = (
                sys.stdin.read()
                if options["file"] == "-"
                else Path(options["file"]).read_text(encoding="utf-8")
            )
            data = json.loads(text)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        try:
            course, warnings = course_import(data=data, owner=owner)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"Imported {course.slug} (draft, owner {owner.email}).")
