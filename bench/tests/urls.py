"""The project's URLs with the baselines mounted at /bench/, as lms/urls.py does when
settings.BENCH_BASELINES is on; the tests use it through override_settings(ROOT_URLCONF)."""

from django.urls import URLPattern, URLResolver, include, path

from lms import urls as lms_urls

urlpatterns: list[URLPattern | URLResolver] = [
    path("bench/", include("bench.urls")),
    *lms_urls.urlpatterns,
]

handler400 = lms_urls.handler400
handler403 = lms_urls.handler403
handler404 = lms_urls.handler404
handler500 = lms_urls.handler500
