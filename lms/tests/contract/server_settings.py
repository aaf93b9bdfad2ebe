"""Settings of the server the Redis-down contract test starts: production, plus the
fast test password hasher, so the people the test made (hashed with it) can log in."""

from lms.settings.prod import *  # noqa: F403
from lms.settings.prod import PASSWORD_HASHERS

PASSWORD_HASHERS = [*PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]
