"""Demo courses for the demo users of `seed_demo` (which calls this command at its end).

Idempotent: a course whose slug exists is left alone, so running it again creates nothing.
Everything goes through the course services, like the pages and the API.
"""

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.selectors import users_active_by_email
from courses import services
from courses.models import Category, Course, Tag

if TYPE_CHECKING:
    from accounts.models import User

CATEGORIES = [  # (slug, name, parent slug)
    ("programming", "Programming", None),
    ("web-development", "Web development", "programming"),
    ("data", "Data", None),
]
TAGS = [("python", "Python"), ("django", "Django"), ("sql", "SQL"), ("beginners", "Beginners")]

T, V, L, Q, A = "text", "video", "link", "quiz", "assignment"
COURSES: list[dict[str, Any]] = [
    {
        "slug": "demo-python-from-scratch",
        "title": "Python from scratch",
        "subtitle": "Your first programs, one small step at a time",
        "description": "Learn **Python** by writing small programs.\n\n- values and types\n"
        "- control flow\n- functions",
        "owner": "instructor1@demo.lms",
        "category": "programming",
        "tags": ["python", "beginners"],
        "level": "beginner",
        "estimated_hours": 6,
        "publish": True,
        "modules": [
            ("Getting started", [
                ("Why Python?", T, {"is_preview": True, "body": "Python reads like *prose*."}),
                ("Installing Python", V, {"video_url": "https://videos.example.com/install"}),
                ("The official tutorial", L, {"link_url": "https://docs.python.org/3/tutorial/"}),
            ]),
            ("The core language", [
                ("Values and types", T, {"body": "Numbers, strings and `None`."}),
                ("Control flow", T, {"body": "`if`, `for` and `while`."}),
                ("Check yourself", Q, {}),
            ]),
        ],
    },
    {
        "slug": "demo-django-web-apps",
        "title": "Web apps with Django",
        "subtitle": "Models, views, templates and the admin",
        "description": "Build and deploy a **Django** application.",
        "owner": "instructor1@demo.lms",
        "team": [("instructor2@demo.lms", "instructor"), ("student1@demo.lms", "ta")],
        "category": "web-development",
        "tags": ["python", "django"],
        "level": "intermediate",
        "price_amount": 4900,
        "currency": "USD",
        "capacity": 30,
        "publish": True,
        "modules": [
            ("Foundations", [
                ("Project layout", T, {"is_preview": True, "body": "Apps, settings, URLs."}),
                ("Models and migrations", V, {"video_url": "https://videos.example.com/models"}),
            ]),
            ("Shipping it", [
                ("Build a blog", A, {"body": "Write a blog with comments."}),
            ]),
        ],
    },
    {
        "slug": "demo-sql-for-analysts",
        "title": "SQL for analysts",
        "subtitle": "Ask your data questions",
        "description": "`SELECT`, `JOIN` and `GROUP BY` on real data sets.",
        "owner": "instructor2@demo.lms",
        "category": "data",
        "tags": ["sql", "beginners"],
        "level": "beginner",
        "publish": True,
        "modules": [
            ("Querying", [
                ("Your first SELECT", T, {"is_preview": True, "body": "`SELECT 1;`"}),
                ("Joins", T, {"body": "Inner and outer joins.", "duration_minutes": 20}),
                ("Practice queries", A, {"body": "Answer five questions with SQL."}),
            ]),
        ],
    },
    {
        "slug": "demo-advanced-postgresql",
        "title": "Advanced PostgreSQL",
        "subtitle": "Work in progress",
        "description": "Indexes, plans and locks.",
        "owner": "instructor2@demo.lms",
        "category": "data",
        "tags": ["sql"],
        "level": "advanced",
        "publish": False,  # a draft: only its team sees it
        "modules": [("Indexes", [("B-trees", T, {"body": "Coming soon."})])],
    },
]  # fmt: skip
COURSE_KEYS = {"slug", "subtitle", "description", "level", "price_amount", "currency"} | {
    "capacity",
    "estimated_hours",
}


class Command(BaseCommand):
    help = "Create demo courses (3 published, 1 draft) for seed_demo's users. Safe to run twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Allow seeding when DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Refusing to seed demo data with DEBUG off; pass --force.")
        users = users_active_by_email(
            emails={c["owner"] for c in COURSES}
            | {email for c in COURSES for email, _ in c.get("team", [])}
        )
        missing = {c["owner"] for c in COURSES} - set(users)
        if missing:
            raise CommandError(f"Run seed_demo first: missing {', '.join(sorted(missing))}.")
        categories = self._categories()
        tags = self._tags()
        created = 0
        for spec in COURSES:
            if Course.objects.filter(slug=spec["slug"]).exists():
                continue
            with transaction.atomic():  # a course is seeded whole or not at all
                self._course(spec, users=users, categories=categories, tags=tags)
            created += 1
        self.stdout.write(
            f"seed_demo_courses: {created} courses created, {len(COURSES) - created} already there."
        )
        # Apps above courses add their demo data; called by name, never imported (layers).
        if "seed_demo_assignments" in get_commands():
            call_command(
                "seed_demo_assignments", force=True, stdout=self.stdout, stderr=self.stderr
            )
        if "seed_demo_quizzes" in get_commands():
            call_command("seed_demo_quizzes", force=True, stdout=self.stdout, stderr=self.stderr)

    def _categories(self) -> dict[str, Category]:
        found: dict[str, Category] = {c.slug: c for c in Category.objects.all()}
        for slug, name, parent in CATEGORIES:
            if slug not in found:
                found[slug] = services.category_create(
                    name=name, slug=slug, parent=found[parent] if parent else None
                )
        return found

    def _tags(self) -> dict[str, Tag]:
        found: dict[str, Tag] = {t.slug: t for t in Tag.objects.all()}
        for slug, name in TAGS:
            if slug not in found:
                found[slug] = services.tag_create(name=name, slug=slug)
        return found

    def _course(
        self,
        spec: dict[str, Any],
        *,
        users: dict[str, "User"],
        categories: dict[str, Category],
        tags: dict[str, Tag],
    ) -> Course:
        owner = users[spec["owner"]]
        course = services.course_create(
            by=owner,
            title=spec["title"],
            category=categories[spec["category"]],
            tags=[tags[slug] for slug in spec["tags"]],
            **{key: value for key, value in spec.items() if key in COURSE_KEYS},
        )
        for email, role in spec.get("team", []):
            if email in users:
                services.course_staff_add(course=course, email=email, role=role, by=owner)
        for module_title, lessons in spec["modules"]:
            module = services.module_create(course=course, title=module_title)
            for title, kind, fields in lessons:
                services.lesson_create(
                    module=module,
                    title=title,
                    kind=kind,
                    **{"duration_minutes": 10, **fields},
                )
        if spec["publish"]:
            services.course_publish(course=course, by=owner)
        return course
