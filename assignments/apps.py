from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = "Assignments"

    def ready(self) -> None:
        # Quiz scores arrive as lms.grading signals (quizzes is a sibling: no import).
        from assignments import receivers

        receivers.connect()
