from django.apps import AppConfig


class LmsConfig(AppConfig):
    """The platform core as an app: its management commands (api_errors_doc)."""

    name = "lms"
    verbose_name = "LMS platform"
