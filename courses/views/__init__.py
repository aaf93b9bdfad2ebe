"""The instructor pages under /instructor/: "My courses", creating a course, and each
course's hub pages of the courses app: Content (modules and lessons, adding and editing
lessons, reordering) and Settings (details, publishing, the team). The hub's other pages
(quizzes, assignments, gradebook, learners) belong to their apps; every page of the hub
shows the menu templates/instructor/_course_nav.html."""

from courses.views.common import instructor_page, may_use_instructor_pages
from courses.views.content import (
    course_content,
    lesson_add,
    lesson_delete,
    lesson_edit,
    lesson_move,
    module_add,
    module_delete,
    module_move,
    module_rename,
    outline_reorder,
)
from courses.views.course_settings import (
    course_archive,
    course_publish,
    course_settings,
    staff_add,
    staff_remove,
)
from courses.views.courses import course_create, course_list

__all__ = [
    "course_archive",
    "course_content",
    "course_create",
    "course_list",
    "course_publish",
    "course_settings",
    "instructor_page",
    "lesson_add",
    "lesson_delete",
    "lesson_edit",
    "lesson_move",
    "may_use_instructor_pages",
    "module_add",
    "module_delete",
    "module_move",
    "module_rename",
    "outline_reorder",
    "staff_add",
    "staff_remove",
]
