"""pytest fixtures of the shared scaffolding (loaded by the root conftest)."""

import pytest

from lms.testing.cast import Cast, cast_create


@pytest.fixture
def cast(db: None) -> Cast:
    return cast_create()
