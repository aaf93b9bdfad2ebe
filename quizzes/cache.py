"""The quizzes app's cache scope over the platform's versioned cache (lms.cache).

`quizzes:course:<id>`: the blueprints of the course's quizzes, what starting an attempt
draws from (items, their fixed questions, the draw pools with tags). Starting is the hot
path of an exam: hundreds of learners start the same quiz within a minute. Every
authoring write that changes a blueprint (questions, banks, items) bumps it.

Only the draw uses the blueprint; what a learner is shown (prompts, options) and what is
graded (keys) are always read from the database.
"""

from lms.cache import scope_bump, versioned_key


def quiz_scope(course_id: int) -> str:
    return f"quizzes:course:{course_id}"


def quiz_cache_bump(course_id: int) -> None:
    """After a write to the course's questions, banks or quiz items (called by services)."""
    scope_bump(quiz_scope(course_id))


def blueprint_key(quiz_id: int, course_id: int) -> str | None:
    """None when Redis is unavailable: the start reads the database, nothing is stored."""
    return versioned_key(quiz_scope(course_id), "blueprint", str(quiz_id))
