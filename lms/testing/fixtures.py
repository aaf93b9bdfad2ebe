"""pytest fixtures of the shared scaffolding (loaded by the root conftest)."""

import pytest

from lms.testing.cast import Cast, cast_create
from lms.testing.smtp import smtp_server  # noqa: F401  # a real SMTP server, for any app


@pytest.fixture
def cast(db: None) -> Cast:
    return cast_create()
