"""factory_boy factories for the courses app (rows written directly, not via services)."""

import factory
from django.utils import timezone

from accounts.tests.factories import InstructorFactory
from courses.markdown import render_markdown
from courses.models import Category, Course, CourseStaff, Lesson, Module, Tag


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    subtitle = "A subtitle"
    description = "Learn **things**."
    description_html = factory.LazyAttribute(lambda o: render_markdown(o.description))
    status = Course.Status.DRAFT

    class Params:
        published = factory.Trait(
            status=Course.Status.PUBLISHED, published_at=factory.LazyFunction(timezone.now)
        )

    @factory.post_generation
    def owner(self, create: bool, extracted, **kwargs) -> None:
        """CourseFactory(owner=user) puts that user on the team as owner;
        CourseFactory(owner=True) makes a new instructor the owner."""
        if not create or not extracted:
            return
        user = InstructorFactory() if extracted is True else extracted
        CourseStaff.objects.create(course=self, user=user, role=CourseStaff.Role.OWNER)


class CourseStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseStaff

    course = factory.SubFactory(CourseFactory)
    user = factory.SubFactory(InstructorFactory)
    role = CourseStaff.Role.INSTRUCTOR


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Module {n}")
    position = factory.LazyAttribute(lambda o: Module.objects.filter(course=o.course).count())


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    module = factory.SubFactory(ModuleFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    position = factory.LazyAttribute(lambda o: Lesson.objects.filter(module=o.module).count())
    kind = Lesson.Kind.TEXT
    body = "Some *text*."
    body_html = factory.LazyAttribute(lambda o: render_markdown(o.body))
    duration_minutes = 10


def publishable_course(**kwargs) -> Course:
    """A draft with what publishing needs: a description and a module with a lesson."""
    course = CourseFactory(**kwargs)
    LessonFactory(module=ModuleFactory(course=course))
    return course
