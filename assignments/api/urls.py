"""The assignments API under /api/v1/ (registered on the shared router)."""

from django.urls import URLPattern

from assignments.api.views.assignments import AssignmentViewSet, CourseAssignmentViewSet
from assignments.api.views.gradebook import (
    CategoryViewSet,
    GradebookItemViewSet,
    GradebookViewSet,
)
from assignments.api.views.submissions import SubmissionViewSet
from lms.api.routers import api_router

_COURSE = r"courses/(?P<course_slug>[-a-zA-Z0-9_]+)"

api_router.register(f"{_COURSE}/assignments", CourseAssignmentViewSet, basename="course-assignment")
api_router.register("assignments", AssignmentViewSet, basename="assignment")
api_router.register("submissions", SubmissionViewSet, basename="submission")
api_router.register(
    f"{_COURSE}/gradebook/categories", CategoryViewSet, basename="gradebook-category"
)
api_router.register(f"{_COURSE}/gradebook/items", GradebookItemViewSet, basename="gradebook-item")
api_router.register(f"{_COURSE}/gradebook", GradebookViewSet, basename="gradebook")

urlpatterns: list[URLPattern] = []
