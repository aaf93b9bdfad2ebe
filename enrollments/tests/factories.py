"""factory_boy factories for the enrollments app (rows written directly, not via services)."""

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from courses.tests.factories import CourseFactory
from enrollments.models import Enrollment, LessonCompletion


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory, published=True)
    status = Enrollment.Status.ACTIVE
    enrolled_at = factory.LazyFunction(timezone.now)


class LessonCompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonCompletion

    enrollment = factory.SubFactory(EnrollmentFactory)
    completed_at = factory.LazyFunction(timezone.now)
