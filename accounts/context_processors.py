"""Template context for every page (listed in settings TEMPLATES)."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import lazy

from accounts.home import home_label_for, home_url_for

_lazy_url = lazy(home_url_for, str)
_lazy_label = lazy(home_label_for, str)


def home(request: HttpRequest) -> dict[str, Any]:
    """`home_url` and `home_label`: this user's home page (accounts.home). Lazy: a page
    that does not show them costs nothing, and one that does costs one lookup at most
    (remembered on the user)."""
    user = getattr(request, "user", None)
    return {"home_url": _lazy_url(user), "home_label": _lazy_label(user)}
