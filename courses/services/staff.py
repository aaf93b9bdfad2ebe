"""The course team: add by email, change a role, remove. Audited; never without an owner."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from accounts.selectors import user_active_by_email
from courses.models import Course, CourseStaff
from courses.permissions import can_create_course
from courses.services.common import course_touch, field_error, lock_course
from lms.audit.services import audit_log_record
from lms.errors import ServiceError

if TYPE_CHECKING:
    from accounts.models import User

# Owners and instructors author content: the platform must know them as instructors
# (or admins). Anyone active may be a teaching assistant.
AUTHOR_ROLES = {CourseStaff.Role.OWNER, CourseStaff.Role.INSTRUCTOR}


def _check_role(user: User, role: str) -> None:
    if role not in CourseStaff.Role.values:
        raise field_error("role", f"Choose one of {', '.join(CourseStaff.Role.values)}.", "invalid")
    # Authors are who the platform lets create courses: instructors and admins.
    if role in AUTHOR_ROLES and not can_create_course(user):
        raise field_error(
            "role",
            "Only instructors and admins can be owners or instructors of a course.",
            "not_an_instructor",
        )


def _is_last_owner(member: CourseStaff) -> bool:
    return (
        member.role == CourseStaff.Role.OWNER
        and not CourseStaff.objects.filter(course_id=member.course_id, role=CourseStaff.Role.OWNER)
        .exclude(pk=member.pk)
        .exists()
    )


@transaction.atomic
def course_staff_add(*, course: Course, email: str, role: str, by: User | None) -> CourseStaff:
    """Adds an active user, found by email, to the team. 400 `user_not_found`,
    `already_staff`, `not_an_instructor`."""
    lock_course(course.pk)
    user = user_active_by_email(email=email)
    if user is None:
        raise field_error("email", "No active user has this email.", "user_not_found")
    _check_role(user, role)
    if CourseStaff.objects.filter(course_id=course.pk, user=user).exists():
        raise field_error("email", "This user is already on the course team.", "already_staff")
    member = CourseStaff.objects.create(course_id=course.pk, user=user, role=role)
    audit_log_record(
        actor=by,
        action="course.staff_added",
        target=course,
        changes={"staff": [None, f"{user.email}:{role}"]},
    )
    course_touch(course.pk)
    return member


@transaction.atomic
def course_staff_change_role(*, member: CourseStaff, role: str, by: User | None) -> CourseStaff:
    """409 `last_owner` when this would leave the course without an owner."""
    lock_course(member.course_id)
    member = CourseStaff.objects.select_related("user").get(pk=member.pk)
    _check_role(member.user, role)
    if member.role == role:
        return member
    if role != CourseStaff.Role.OWNER and _is_last_owner(member):
        raise ServiceError("last_owner", "A course needs at least one owner.")
    before = member.role
    member.role = role
    member.save(update_fields=["role"])
    audit_log_record(
        actor=by,
        action="course.staff_role_changed",
        target=member.course,
        changes={"staff": [f"{member.user.email}:{before}", f"{member.user.email}:{role}"]},
    )
    course_touch(member.course_id)
    return member


@transaction.atomic
def course_staff_remove(*, member: CourseStaff, by: User | None) -> None:
    """409 `last_owner` for the only owner."""
    lock_course(member.course_id)
    member = CourseStaff.objects.select_related("user", "course").get(pk=member.pk)
    if _is_last_owner(member):
        raise ServiceError("last_owner", "A course needs at least one owner.")
    audit_log_record(
        actor=by,
        action="course.staff_removed",
        target=member.course,
        changes={"staff": [f"{member.user.email}:{member.role}", None]},
    )
    member.delete()
    course_touch(member.course_id)
