"""Baseline views of the benchmark suite, included at /bench/ by lms/urls.py only when
settings.BENCH_BASELINES is on (never in production settings).

Paths mirror the real API: the twins of /api/v1/<rest> are /bench/raw/<rest> and
/bench/naive/<rest>, with the same query string, method and Authorization header.
"""

from django.urls import URLPattern, URLResolver, include, path, re_path
from rest_framework.routers import SimpleRouter

from bench.baselines import naive
from bench.baselines.bcrypt import bcrypt_check
from bench.baselines.floor import floor
from bench.baselines.raw import courses, learning, roster

naive_router = SimpleRouter(trailing_slash=True)
naive_router.register("courses", naive.CourseViewSet, basename="bench-naive-course")
naive_router.register(
    r"courses/(?P<course_slug>[-a-zA-Z0-9_]+)/enrollments",
    naive.RosterViewSet,
    basename="bench-naive-roster",
)
naive_router.register("enrollments", naive.EnrollmentViewSet, basename="bench-naive-enrollment")
naive_router.register("lessons", naive.LessonViewSet, basename="bench-naive-lesson")

raw_urls: list[URLPattern] = [
    path("courses/", courses.course_list, name="bench-raw-course-list"),
    path("courses/<slug:slug>/", courses.course_detail, name="bench-raw-course-detail"),
    path("courses/<slug:slug>/outline/", courses.course_outline, name="bench-raw-course-outline"),
    path("courses/<slug:slug>/enrollments/", roster.roster_list, name="bench-raw-roster"),
    path("enrollments/", learning.enrollment_list, name="bench-raw-enrollment-list"),
    re_path(r"^lessons/(?P<lesson_id>[0-9]+)/$", learning.lesson_detail, name="bench-raw-lesson"),
    re_path(
        r"^lessons/(?P<lesson_id>[0-9]+)/complete/$",
        learning.lesson_complete,
        name="bench-raw-lesson-complete",
    ),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("floor/", floor, name="bench-floor"),
    path("bcrypt/", bcrypt_check, name="bench-bcrypt"),
    path("raw/", include(raw_urls)),
    path("naive/", include(naive_router.urls)),
]
