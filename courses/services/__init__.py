"""Every write of the courses app. Import from here: `from courses.services import ...`.

Services take keyword-only arguments, validate (Django ValidationError with field names
and codes -> 400; `lms.errors.ServiceError` with a code declared in courses/errors.py),
write in one transaction, audit what matters and bump the cache versions. They check
invariants, not permissions: callers ask `courses.permissions` first.
"""

from courses.services.courses import (
    COURSE_FIELDS,
    course_archive,
    course_create,
    course_delete,
    course_duplicate,
    course_enrollment_count_change,
    course_publish,
    course_publish_problems,
    course_update,
)
from courses.services.staff import course_staff_add, course_staff_change_role, course_staff_remove
from courses.services.structure import (
    LESSON_FIELDS,
    OUTLINE_REORDER_CHECKED,
    course_outline_reorder,
    lesson_activity_changed,
    lesson_create,
    lesson_delete,
    lesson_move,
    lesson_update,
    module_create,
    module_delete,
    module_move,
    module_update,
)
from courses.services.taxonomy import (
    category_create,
    category_delete,
    category_update,
    tag_create,
    tag_delete,
    tag_update,
)
from courses.services.transfer import course_export, course_import

__all__ = [
    "COURSE_FIELDS",
    "LESSON_FIELDS",
    "OUTLINE_REORDER_CHECKED",
    "category_create",
    "category_delete",
    "category_update",
    "course_archive",
    "course_create",
    "course_delete",
    "course_duplicate",
    "course_enrollment_count_change",
    "course_export",
    "course_import",
    "course_outline_reorder",
    "course_publish",
    "course_publish_problems",
    "course_staff_add",
    "course_staff_change_role",
    "course_staff_remove",
    "course_update",
    "lesson_activity_changed",
    "lesson_create",
    "lesson_delete",
    "lesson_move",
    "lesson_update",
    "module_create",
    "module_delete",
    "module_move",
    "module_update",
    "tag_create",
    "tag_delete",
    "tag_update",
]
