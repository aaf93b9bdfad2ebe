"""Every write of the enrollments app: `from enrollments.services import ...`.

Services take keyword-only arguments, validate, write in one transaction and publish
their events through the outbox. They check invariants, not permissions: callers ask
`enrollments.permissions` / `courses.permissions` first. Refusals are
`lms.errors.ServiceError` with the codes declared in `enrollments/errors.py`; field errors
are Django ValidationErrors.
"""

from enrollments.services.enrollment import (
    ACCOMMODATION_FIELDS,
    BulkReport,
    BulkRow,
    enrollment_accommodations_set,
    enrollment_add_by_email,
    enrollment_bulk_add,
    enrollment_create,
    enrollment_drop,
    enrollment_join_check,
    enrollment_revoke,
)
from enrollments.services.progress import (
    course_completion_recheck,
    course_completion_recheck_many,
    from_scratch_percent,
    lesson_complete,
    lesson_progress_record,
    percent_of,
    progress_recompute,
    progress_recompute_schedule,
    rollup_refresh,
)

__all__ = [
    "ACCOMMODATION_FIELDS",
    "BulkReport",
    "BulkRow",
    "course_completion_recheck",
    "course_completion_recheck_many",
    "enrollment_accommodations_set",
    "enrollment_add_by_email",
    "enrollment_bulk_add",
    "enrollment_create",
    "enrollment_drop",
    "enrollment_join_check",
    "enrollment_revoke",
    "from_scratch_percent",
    "lesson_complete",
    "lesson_progress_record",
    "percent_of",
    "progress_recompute",
    "progress_recompute_schedule",
    "rollup_refresh",
]
