from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms.api.errors_doc import DOC_PATH, render_api_errors_doc


class Command(BaseCommand):
    help = "Writes docs/api-errors.md from the declared error codes (--check: only compare)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="exit 1 if the file differs")

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        text = render_api_errors_doc()
        if check:
            if DOC_PATH.read_text() != text:
                raise CommandError("docs/api-errors.md is stale: run manage.py api_errors_doc")
            return
        DOC_PATH.write_text(text)
        self.stdout.write(f"wrote {DOC_PATH.name}")
