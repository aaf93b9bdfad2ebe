"""The project's URLs: health, metrics, the apps' pages, admin, and the API under /api/v1/.

Each app with an API ships `<app>/api/urls.py`; including it registers its viewsets on the
shared router (lms.api.routers) and adds any extra paths. Includes are strings, so the
platform never imports the apps above it.
"""

from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path

from lms import health, views
from lms.api.routers import api_router


def _app_api_urls() -> list[URLResolver]:
    return [
        path("", include(f"{app}.api.urls"))
        for app in settings.LMS_APPS
        if find_spec(f"{app}.api") is not None and find_spec(f"{app}.api.urls") is not None
    ]


def _app_page_urls() -> list[URLResolver]:
    """Each app's server-rendered pages (`<app>/urls.py`), at the site root."""
    return [
        path("", include(f"{app}.urls"))
        for app in settings.LMS_APPS
        if find_spec(f"{app}.urls") is not None
    ]


api_v1: list[URLPattern | URLResolver] = [*_app_api_urls(), path("", include(api_router.urls))]

urlpatterns: list[URLPattern | URLResolver] = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", views.metrics, name="metrics"),
    # Browsers ask for /favicon.ico on pages that declare no icon (the admin, error pages).
    path("favicon.ico", views.favicon, name="favicon"),
    # Before the admin: accounts answers /admin/login/ with its own login page.
    *_app_page_urls(),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
]

if settings.API_DOCS_ENABLED:
    urlpatterns += [
        # Generated once per process and served from memory (lms.views.SchemaView).
        path("api/schema/", views.SchemaView.as_view(), name="schema"),
        path("api/docs/", views.DocsView.as_view(url_name="schema"), name="api-docs"),
    ]

if getattr(settings, "BENCH_BASELINES", False):  # lms.settings.bench only
    urlpatterns.append(path("bench/", include("bench.urls")))

urlpatterns.append(re_path(r"^api/(?P<path>.*)$", views.api_not_found))

handler400 = views.handler400
handler403 = views.handler403
handler404 = views.handler404
handler500 = views.handler500
