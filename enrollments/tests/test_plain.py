"""The plain output of the hot lists equals what the schema's serializers produce."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from courses.models import Lesson
from enrollments.api.plain import enrollment_data, lesson_content_data, roster_entry_data
from enrollments.api.serializers import (
    EnrollmentSerializer,
    LessonContentSerializer,
    RosterEntrySerializer,
)
from enrollments.models import Enrollment
from enrollments.services import enrollment_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrollment(cast, course) -> Enrollment:
    created = enrollment_create(user=cast.student, course=course)
    Enrollment.objects.filter(pk=created.pk).update(
        time_multiplier=Decimal("1.5"),
        extra_attempts=2,
        completed_count=1,
        required_total=3,
        percent=33,
        last_activity_at=timezone.now() - timedelta(days=1, microseconds=7),
        status="completed",
        completed_at=timezone.now(),
    )
    return Enrollment.objects.select_related("course", "user").get(pk=created.pk)


@pytest.mark.parametrize("next_lesson", [None, {"id": 7, "title": "Two", "kind": "text"}])
def test_enrollment_data_equals_the_serializer(enrollment, next_lesson):
    context = {"next_lessons": {enrollment.pk: next_lesson}}
    expected = EnrollmentSerializer(enrollment, context=context).data
    assert enrollment_data(enrollment, next_lesson) == expected
    assert expected["accommodations"]["time_multiplier"] == "1.50"
    assert expected["waitlisted_at"] is None and expected["completed_at"].endswith("Z")


def test_roster_entry_data_equals_the_serializer(enrollment):
    assert roster_entry_data(enrollment) == RosterEntrySerializer(enrollment).data


@pytest.mark.parametrize("completed", [None, True])
def test_lesson_content_data_equals_the_serializer(course, completed):
    lesson = Lesson.objects.select_related("module__course").filter(module__course=course).first()
    request = APIRequestFactory().get("/")
    for attached in (False, True):
        if attached:
            lesson.file.save("notes.txt", ContentFile(b"notes"), save=True)
        context = {"request": request, "completed": completed}
        expected = LessonContentSerializer(lesson, context=context).data
        assert lesson_content_data(lesson, completed, request) == expected
        assert (expected["file"] is not None) == attached
