from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = "Assignments"

    def ready(self) -> None:
        # Quiz scores arrive as lms.grading signals (quizzes is a sibling: no import).
        from assignments import receivers
        from assignments.selectors import lesson_assignment_ids
        from courses.selectors import register_lesson_activity_provider

        receivers.connect()
        # Lessons of kind assignment show their assignment's id (courses cannot import us).
        register_lesson_activity_provider("assignment", lesson_assignment_ids)
