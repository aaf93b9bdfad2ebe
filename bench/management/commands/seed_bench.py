"""manage.py seed_bench --scale {smoke,full} [--force]: the benchmark dataset (bench.seed)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench.seed import SCALES, SeedRefused, check_target, seed


class Command(BaseCommand):
    help = (
        "Empties the bench tables and loads the benchmark dataset with PostgreSQL COPY. "
        "Refuses SQLite, and a database holding non-bench data unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="smoke")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database holds non-bench data (it is erased).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale = SCALES[options["scale"]]
        try:
            check_target(force=options["force"])
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"seed_bench: scale {scale.name}")
        started = time.monotonic()
        seed(scale, log=self.stdout.write)
        self.stdout.write(f"seed_bench: done in {time.monotonic() - started:.1f} s")
