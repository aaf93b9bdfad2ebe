"""The error codes the quizzes app declares (docs/api-errors.md is generated from them).

A learner who is not in the course raises enrollments' `not_enrolled` (403); a bad value
(a response of the wrong shape, points out of range) is a 400 `validation_error` naming
the field, not a code here.
"""

from lms.errors import declare_error_codes

declare_error_codes(
    "quizzes",
    {
        "quiz_not_open": (
            403,
            "The quiz does not take attempts yet (before `opens_at`, given in the problem) "
            "or is not published.",
        ),
        "quiz_closed": (403, "The quiz has closed (`closes_at` passed): no new attempts."),
        "no_attempts_left": (
            403,
            "The learner has used every attempt the quiz allows (with their accommodation).",
        ),
        "quiz_empty": (409, "The quiz has no questions yet, so no attempt can start."),
        "not_enough_questions": (
            409,
            "A random draw of the quiz asks for more questions than its bank or tag holds.",
        ),
        "attempt_conflict": (
            409,
            "Too many simultaneous starts by the same learner collided; try again.",
        ),
        "attempt_submitted": (409, "The attempt is already submitted: answers are closed."),
        "deadline_passed": (
            409,
            "The attempt's deadline plus the grace period has passed: the answer was not "
            "saved and the attempt was submitted with what was saved in time (`deadline`).",
        ),
        "question_in_use": (
            409,
            "Learners answered the question (or a question of the bank): it cannot be "
            "deleted, nor change its kind.",
        ),
        "quiz_has_attempts": (
            409,
            "Learners attempted the quiz, so it cannot be deleted; unpublish it instead.",
        ),
        "not_manual": (409, "Only essays are graded by hand; other answers grade themselves."),
        "not_submitted": (409, "The attempt is not submitted yet, so it cannot be graded."),
    },
)
