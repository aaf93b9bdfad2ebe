from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    name = "enrollments"
    verbose_name = "Enrollments"

    def ready(self) -> None:
        # Plug into courses (which cannot import us): learner checks for lesson content,
        # per-learner outline state, and structure changes that move the rollups.
        from courses.permissions import register_learner_check
        from courses.selectors import register_outline_state_provider
        from enrollments import receivers
        from enrollments.permissions import is_enrolled_learner
        from enrollments.selectors import outline_state_for

        register_learner_check(is_enrolled_learner)
        register_outline_state_provider(outline_state_for)
        receivers.connect()
