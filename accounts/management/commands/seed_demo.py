"""Load demo data. Idempotent: running it again creates nothing new.

The users are made here; the apps above accounts add their demo data through their own
commands, called by name at the end (courses, then with them quizzes and assignments, then
the demo learner's progress in enrollments), so this command imports none of them.
"""

from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services.users import user_ensure

# Documented in README.md ("Demo accounts"); only ever loaded into dev databases.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - public demo credential, dev only
DEMO_USERS = [
    ("admin@demo.lms", User.Role.ADMIN, "Ada", "Admin"),
    ("instructor1@demo.lms", User.Role.INSTRUCTOR, "Ivan", "Instructor"),
    ("instructor2@demo.lms", User.Role.INSTRUCTOR, "Iris", "Instructor"),
    *[(f"student{i}@demo.lms", User.Role.STUDENT, "Student", str(i)) for i in range(1, 6)],
    # Part-way through "Python from scratch" (enrollments' seed_demo_learning): the learner
    # portal shows real progress on the first run.
    ("learner@demo.lms", User.Role.STUDENT, "Lena", "Learner"),
]
# Commands of the apps above accounts, run in this order when installed.
APP_SEEDS = ("seed_demo_courses", "seed_demo_learning")


class Command(BaseCommand):
    help = (
        "Create demo users (admin, two instructors, five students, a learner part-way "
        "through a course) and the apps' demo data. Safe to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Allow seeding when DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to seed demo data with DEBUG off; pass --force.")
        created = 0
        for email, role, first, last in DEMO_USERS:
            _, was_created = user_ensure(
                email=email, password=DEMO_PASSWORD, role=role, first_name=first, last_name=last
            )
            created += was_created
        self.stdout.write(
            f"seed_demo: {created} users created, {len(DEMO_USERS) - created} already there."
        )
        # Apps above accounts add their demo data; called by name, never imported (layers).
        available = get_commands()
        for command in APP_SEEDS:
            if command in available:
                call_command(command, force=True, stdout=self.stdout, stderr=self.stderr)
        self._credentials()

    def _credentials(self) -> None:
        """Who to sign in as (dev databases only: the password is public)."""
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        width = max(len(email) for email, *_ in DEMO_USERS)
        for email, role, first, last in DEMO_USERS:
            self.stdout.write(f"  {email:<{width}}  {User.Role(role).label}: {first} {last}")
