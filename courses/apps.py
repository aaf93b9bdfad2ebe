from typing import Any

from django.apps import AppConfig


def _on_a_course_team(user: Any) -> bool:
    from courses.models import Course
    from courses.permissions import teaching_courses_q

    return Course.objects.filter(teaching_courses_q(user)).exists()


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        # accounts (below us) sends course teams, TAs included, home to the instructor
        # pages after sign-in: it asks us who they are (accounts.home).
        from accounts.home import register_course_team_check

        register_course_team_check(_on_a_course_team)
