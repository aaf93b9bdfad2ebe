"""Changes in courses that move the rollups or course completion: a lesson created,
deleted, or its `required_for_completion` possibly changed; a course's `passing_grade`
changed (learners at 100 % may now qualify). Each asks for a background recompute of the
course through the outbox (queue `progress`); nothing is recomputed inline."""

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from courses.models import Course, Lesson, Module
from enrollments.services.progress import progress_recompute_schedule

_COURSE_ATTR = "_enrollments_course_id"
_PASSING_ATTR = "_enrollments_passing_grade_before"


def _lesson_saved(sender: Any, instance: Lesson, created: bool, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if (
        not created
        and update_fields is not None
        and "required_for_completion" not in (update_fields)
    ):
        return
    course_id = Module.objects.filter(pk=instance.module_id).values_list("course_id", flat=True)
    first = course_id.first()
    if first is not None:
        progress_recompute_schedule(course_id=first)


def _lesson_deleting(sender: Any, instance: Lesson, **kwargs: Any) -> None:
    # Before the delete (a module's cascade removes the module row too).
    setattr(
        instance,
        _COURSE_ATTR,
        Module.objects.filter(pk=instance.module_id).values_list("course_id", flat=True).first(),
    )


def _lesson_deleted(sender: Any, instance: Lesson, **kwargs: Any) -> None:
    course_id = getattr(instance, _COURSE_ATTR, None)
    if course_id is not None:
        progress_recompute_schedule(course_id=course_id)


def _course_saving(sender: Any, instance: Course, **kwargs: Any) -> None:
    # Only a save that writes the passing grade (course_update lists its fields) reads
    # the value it replaces.
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or update_fields is None or "passing_grade" not in update_fields:
        return
    before = Course.objects.filter(pk=instance.pk).values_list("passing_grade", flat=True)
    setattr(instance, _PASSING_ATTR, before.first())


def _course_saved(sender: Any, instance: Course, created: bool, **kwargs: Any) -> None:
    before = instance.__dict__.pop(_PASSING_ATTR, None)
    if before is not None and before != instance.passing_grade:
        progress_recompute_schedule(course_id=instance.pk)


def connect() -> None:
    pre_save.connect(_course_saving, sender=Course, dispatch_uid="enrollments.course_saving")
    post_save.connect(_course_saved, sender=Course, dispatch_uid="enrollments.course_saved")
    post_save.connect(_lesson_saved, sender=Lesson, dispatch_uid="enrollments.lesson_saved")
    pre_delete.connect(_lesson_deleting, sender=Lesson, dispatch_uid="enrollments.lesson_deleting")
    post_delete.connect(_lesson_deleted, sender=Lesson, dispatch_uid="enrollments.lesson_deleted")
