"""The refusals of the assignments services (lms.errors.ServiceError codes).

Field errors stay ValidationErrors (400 `validation_error`). Codes other apps own and
assignments raises too: `not_published` (409, courses: the assignment is a draft),
`not_enrolled` (403, enrollments), `payload_too_large` (413, platform),
`permission_denied` (403, platform).

A learner's hand-in refused by the assignment's dates or limits is a 403 (they see the
assignment but may not hand in now), like quizzes' `quiz_not_open` / `quiz_closed` /
`no_attempts_left`.
"""

from lms.errors import declare_error_codes

declare_error_codes(
    "assignments",
    {
        "assignment_not_open": (
            403,
            "The assignment's availability window has not started (`opens_at`): nothing can "
            "be handed in yet.",
        ),
        "assignment_closed": (
            403,
            "The assignment's availability window has ended for this learner (their "
            "extension and accommodation included).",
        ),
        "late_refused": (
            403,
            "The learner's due date has passed and the assignment's late policy refuses late work.",
        ),
        "no_resubmissions": (
            403,
            "The learner has handed in as many versions as the assignment allows (`versions`).",
        ),
        "submission_conflict": (
            409,
            "Another hand-in of the same learner took this version number at the same "
            "moment; send it again.",
        ),
        "not_latest": (
            409,
            "Only the newest version of a learner's work is graded (`newest` is its version).",
        ),
        "import_errors": (
            400,
            "A gradebook CSV import has rows with errors, so nothing was written; `report` "
            "gives each row's status and message.",
        ),
    },
)
