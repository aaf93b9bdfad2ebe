"""Every write of the assignments app: `from assignments.services import ...`.

Services take keyword-only arguments, validate, write in one transaction and schedule
their side effects through the outbox. They check invariants, not permissions: callers
ask `assignments.permissions` first. Refusals are `lms.errors.ServiceError` with the
codes of `assignments/errors.py`; field errors are Django ValidationErrors.
"""

from assignments.services.authoring import (
    assignment_create,
    assignment_delete,
    assignment_update,
    extension_grant,
    rubric_clean,
)
from assignments.services.gradebook import (
    course_grade_refresh,
    course_grade_result,
    course_grades_recompute,
    gradebook_recompute_schedule,
    score_adjust,
)
from assignments.services.grading import grade_submission, grades_release
from assignments.services.quiz_scores import quiz_item_sync, quiz_score_sync
from assignments.services.structure import (
    category_create,
    category_delete,
    category_update,
    letter_scheme_set,
    manual_item_create,
)
from assignments.services.submissions import submission_check_open, submission_create
from assignments.services.transfer import ImportReport, gradebook_csv_rows, grades_import

__all__ = [
    "ImportReport",
    "assignment_create",
    "assignment_delete",
    "assignment_update",
    "category_create",
    "category_delete",
    "category_update",
    "course_grade_refresh",
    "course_grade_result",
    "course_grades_recompute",
    "extension_grant",
    "grade_submission",
    "gradebook_csv_rows",
    "gradebook_recompute_schedule",
    "grades_import",
    "grades_release",
    "letter_scheme_set",
    "manual_item_create",
    "quiz_item_sync",
    "quiz_score_sync",
    "rubric_clean",
    "score_adjust",
    "submission_check_open",
    "submission_create",
]
