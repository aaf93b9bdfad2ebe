from django.apps import AppConfig


class LmsConfig(AppConfig):
    """The platform core as an app: its management commands and start-up wiring."""

    name = "lms"
    verbose_name = "LMS platform"

    def ready(self) -> None:
        # Every app's errors.py declares its codes; load them all at start-up so a code
        # raised by one app and declared by another (e.g. `not_enrolled`) is always known.
        from lms.errors import all_error_codes

        all_error_codes()
        # The system checks of the platform's settings (the emailed links).
        import lms.checks  # noqa: F401
