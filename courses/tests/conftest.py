"""Short names for the shared test scaffolding (lms.testing) in the courses tests."""

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from rest_framework.test import APIClient

from courses.models import Course
from lms.testing import Cast, client_for
from lms.testing import make_course as build_course


@pytest.fixture
def team(cast: Cast) -> Cast:
    """The shared cast; its owner, instructor and TA are the team of `make_course`."""
    return cast


@pytest.fixture
def as_user() -> Callable[[Any], APIClient]:
    return client_for


@pytest.fixture
def make_course(cast: Cast) -> Callable[..., Course]:
    """lms.testing.make_course for the cast with these tests' defaults: a draft with one
    module of one lesson (`published=True`, `lessons=` and course fields override)."""
    return partial(build_course, cast, lessons=1, published=False)
