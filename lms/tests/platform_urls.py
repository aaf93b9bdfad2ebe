"""The project's URLs plus the platform test views under /api/v1/_platform/."""

from django.urls import include, path

from lms.tests import platform_views as v
from lms.urls import handler400, handler403, handler404, handler500  # noqa: F401
from lms.urls import urlpatterns as project_urlpatterns

test_views = [
    path("echo/", v.EchoView.as_view()),
    path("users/", v.UserListView.as_view()),
    path("users/<int:pk>/", v.UserDetailView.as_view()),
    path("users-cursor/", v.UserCursorListView.as_view()),
    path("admin-only/", v.AdminOnlyView.as_view()),
    path("boom/", v.BoomView.as_view()),
    path("database-down/", v.DatabaseDownView.as_view()),
    path("django-boom/", v.django_boom),
]

# Before the project's patterns: those end with a catch-all for unknown /api/ paths.
urlpatterns = [path("api/v1/_platform/", include(test_views)), *project_urlpatterns]
