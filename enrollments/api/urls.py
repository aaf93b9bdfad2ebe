"""The enrollments API under /api/v1/ (registered on the shared router, plus one path)."""

from django.urls import URLPattern, path

from enrollments.api import views
from lms.api.routers import api_router

_COURSE = r"courses/(?P<course_slug>[-a-zA-Z0-9_]+)"

api_router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")
api_router.register("lessons", views.LessonViewSet, basename="lesson")
api_router.register(f"{_COURSE}/enrollments", views.RosterViewSet, basename="course-enrollment")

urlpatterns: list[URLPattern] = [
    path(
        "courses/<slug:course_slug>/enroll/", views.CourseEnrollView.as_view(), name="course-enroll"
    ),
]
