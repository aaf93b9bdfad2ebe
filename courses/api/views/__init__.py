"""Courses API: thin viewsets. Selectors read (with visibility), predicates decide,
services write. Invisible objects are 404; visible but forbidden is 403 (401 anonymous)."""

from courses.api.views.common import SLUG_REGEX
from courses.api.views.courses import CourseViewSet
from courses.api.views.structure import CourseStaffViewSet, LessonViewSet, ModuleViewSet
from courses.api.views.taxonomy import CategoryViewSet, TagViewSet

__all__ = [
    "SLUG_REGEX",
    "CategoryViewSet",
    "CourseStaffViewSet",
    "CourseViewSet",
    "LessonViewSet",
    "ModuleViewSet",
    "TagViewSet",
]
