"""Registers the courses viewsets on the shared /api/v1/ router."""

from django.urls import URLPattern

from courses.api import views
from lms.api.routers import api_router

_COURSE = rf"courses/(?P<course_slug>{views.SLUG_REGEX})"

api_router.register("courses", views.CourseViewSet, basename="course")
api_router.register(f"{_COURSE}/staff", views.CourseStaffViewSet, basename="course-staff")
api_router.register(f"{_COURSE}/modules", views.ModuleViewSet, basename="course-module")
api_router.register(f"{_COURSE}/lessons", views.LessonViewSet, basename="course-lesson")
api_router.register("categories", views.CategoryViewSet, basename="category")
api_router.register("tags", views.TagViewSet, basename="tag")

urlpatterns: list[URLPattern] = []
