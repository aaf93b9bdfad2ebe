"""Errors the course services raise besides Django's ValidationError (a 400 with fields)."""


class CourseConflict(Exception):
    """The request is valid but the course's current state forbids it (HTTP 409).

    `code` is stable and machine-readable: already_published, not_published,
    course_not_draft, course_has_learners, last_owner, published_course_needs_lessons,
    category_has_children.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
