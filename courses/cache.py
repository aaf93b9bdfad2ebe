"""The courses app's cache scopes over the platform's versioned cache (lms.cache).

- `courses:course:<id>`: a course's detail, outline structure and rendered bodies; bumped
  by every write to the course, its modules, lessons or staff.
- `courses:catalogue`: catalogue pages and the public slug lookups; bumped with the course
  scope by most course writes, and alone by category and tag writes.
"""

from lms.cache import key_digest, scope_bump, versioned_key

CATALOGUE_SCOPE = "courses:catalogue"


def course_scope(course_id: int) -> str:
    return f"courses:course:{course_id}"


def catalogue_cache_bump() -> None:
    """After writes that change catalogue pages but no single course (categories, tags)."""
    scope_bump(CATALOGUE_SCOPE)


def course_cache_bump(course_id: int, *, catalogue: bool = True) -> None:
    """After any write to a course, its modules, lessons or staff (called by services).

    `catalogue=False` leaves catalogue pages alone (the enrollment counter: see
    course_enrollment_count_change)."""
    if catalogue:
        scope_bump(course_scope(course_id), CATALOGUE_SCOPE)
    else:
        scope_bump(course_scope(course_id))


def course_cache_key(course_id: int, part: str) -> str | None:
    """None when Redis is unavailable: the read goes to the database, nothing is stored."""
    return versioned_key(course_scope(course_id), part)


def catalogue_cache_key(fingerprint: str) -> str | None:
    return versioned_key(CATALOGUE_SCOPE, key_digest(fingerprint))
