"""Deadlines and the late policy, as plain functions of the assignment and a time.

A learner's due date (and the end of the availability window) moves by their
accommodation (`Enrollment.deadline_extension_days`) plus any extension staff granted for
this assignment. Lateness counts started days: one second late is one day late.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from assignments.models import Assignment, Extension
from enrollments.permissions import seated_enrollment

DAY_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class Deadline:
    due_at: datetime | None
    until: datetime | None
    shift_days: int


@dataclass(frozen=True)
class LateStatus:
    is_late: bool
    days_late: int
    penalty_percent: Decimal
    refused: bool


def shift_days_for(*, assignment: Assignment, user: Any) -> int:
    enrollment = seated_enrollment(user, assignment.course)
    accommodation = enrollment.deadline_extension_days if enrollment is not None else 0
    extension = (
        Extension.objects.filter(assignment_id=assignment.pk, user_id=user.pk)
        .values_list("extra_days", flat=True)
        .first()
    )
    return accommodation + (extension or 0)


def deadline_for(*, assignment: Assignment, shift_days: int) -> Deadline:
    shift = timedelta(days=shift_days)
    return Deadline(
        due_at=assignment.due_at + shift if assignment.due_at else None,
        until=assignment.available_until + shift if assignment.available_until else None,
        shift_days=shift_days,
    )


def penalty_for(*, assignment: Assignment, days_late: int) -> Decimal:
    """Per started day, never more than leaves the floor: min(days x rate, 100 - floor)."""
    if assignment.late_policy != Assignment.LatePolicy.PENALTY or days_late <= 0:
        return Decimal("0")
    return min(
        assignment.late_penalty_per_day * days_late, Decimal("100") - assignment.late_penalty_floor
    )


def late_status(*, assignment: Assignment, due_at: datetime | None, at: datetime) -> LateStatus:
    if due_at is None or at <= due_at:
        return LateStatus(False, 0, Decimal("0"), False)
    days = math.ceil((at - due_at).total_seconds() / DAY_SECONDS)
    refused = assignment.late_policy == Assignment.LatePolicy.REFUSE
    return LateStatus(True, days, penalty_for(assignment=assignment, days_late=days), refused)
