"""Every write of the quizzes app: `from quizzes.services import ...`.

Services take keyword-only arguments, validate, write in one transaction and tell the
gradebook through `lms.grading` signals. They check invariants, not permissions: callers
ask `quizzes.permissions` first. Refusals are `lms.errors.ServiceError` with the codes of
`quizzes.errors`; bad values are Django `ValidationError`s naming the field.
"""

from quizzes.services.attempts import (
    attempt_answers_save,
    attempt_expire_if_due,
    attempt_start,
    attempt_submit,
    attempts_allowed,
    attempts_expire_due,
    deadline_for,
    grace,
)
from quizzes.services.authoring import (
    QUESTION_FIELDS,
    QUIZ_FIELDS,
    bank_create,
    bank_delete,
    bank_update,
    points_possible,
    question_create,
    question_delete,
    question_update,
    quiz_create,
    quiz_delete,
    quiz_item_add,
    quiz_item_remove,
    quiz_question_add,
    quiz_update,
)
from quizzes.services.scoring import (
    answer_grade,
    counted_score,
    question_regrade,
    score_publish,
)

__all__ = [
    "QUESTION_FIELDS",
    "QUIZ_FIELDS",
    "answer_grade",
    "attempt_answers_save",
    "attempt_expire_if_due",
    "attempt_start",
    "attempt_submit",
    "attempts_allowed",
    "attempts_expire_due",
    "bank_create",
    "bank_delete",
    "bank_update",
    "counted_score",
    "deadline_for",
    "grace",
    "points_possible",
    "question_create",
    "question_delete",
    "question_regrade",
    "question_update",
    "quiz_create",
    "quiz_delete",
    "quiz_item_add",
    "quiz_item_remove",
    "quiz_question_add",
    "quiz_update",
    "score_publish",
]
