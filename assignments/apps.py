from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = "Assignments"

    def ready(self) -> None:
        # Quiz scores arrive as lms.grading signals (quizzes is a sibling: no import).
        from assignments import receivers
        from assignments.selectors import lesson_assignments
        from assignments.services.gradebook import course_grade_standings
        from courses.selectors import register_lesson_activity_provider
        from enrollments.completion import register_course_grade_provider

        receivers.connect()
        # Lessons of kind assignment show their assignment's id and what completes them
        # (courses cannot import us).
        register_lesson_activity_provider("assignment", lesson_assignments)
        # Course completion waits for a final course grade of at least the course's
        # passing grade (enrollments cannot import us).
        register_course_grade_provider(course_grade_standings)
