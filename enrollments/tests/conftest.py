"""Fixtures of the enrollments tests, on the shared scaffolding (lms.testing): the `cast`
fixture (root conftest) and a published free course of three lessons with the cast's
team on it."""

from typing import TYPE_CHECKING

import pytest

from lms.testing import Cast, make_course

if TYPE_CHECKING:
    from courses.models import Course


@pytest.fixture
def course(cast: Cast) -> "Course":
    return make_course(cast, lessons=3)
