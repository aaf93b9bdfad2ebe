"""OpenAPI security schemes for our authentication classes (drf-spectacular extensions)."""

from typing import Any

from django.conf import settings
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.BearerJWTAuthentication"
    name = "bearerAuth"


class CookieJWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.CookieJWTAuthentication"
    name = "jwtCookieAuth"
    priority = 1  # it subclasses the bearer class; this one must win for itself

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.AUTH_COOKIE_ACCESS}


class CsrfSessionScheme(SessionScheme):
    target_class = "accounts.authentication.CsrfSessionAuthentication"
