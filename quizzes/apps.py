from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Quizzes"

    def ready(self) -> None:
        # Lessons of kind quiz show their quiz's id and what completes them (courses
        # cannot import us).
        from courses.selectors import register_lesson_activity_provider
        from quizzes.selectors import lesson_quizzes

        register_lesson_activity_provider("quiz", lesson_quizzes)
