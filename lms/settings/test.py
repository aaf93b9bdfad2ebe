"""Test settings: same backends as base (embedded default or PostgreSQL + Redis from env)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
# Tests run tasks eagerly unless a test starts a real worker (see lms/outbox/tests/conftest.py).
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
API_DOCS_ENABLED = True
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
