"""Absolute links for emails: one public base URL, and per-link templates for SPAs and apps.

Every link an email carries is made here, by name: `link("verify_email", token=...)`.
No app builds an absolute URL itself. By default a link points at the app's own page
(`reverse` of the page's URL name, on `PUBLIC_BASE_URL`); a deployment whose learners use
an SPA or a mobile app sets a template per link, e.g.

    LINK_VERIFY_EMAIL="{frontend}/verify?token={token}"

Placeholders: `{base}` (PUBLIC_BASE_URL), `{frontend}` (FRONTEND_URL, PUBLIC_BASE_URL
unless set) and the link's own parameters (LINKS below), which are percent-encoded. The
templates are checked at start-up (lms.checks): an unknown placeholder, a missing
parameter or a result that is not an absolute http(s) URL is an error, so a typo fails
the deploy instead of every email.

Links are made by name, not by URL pattern, so the pages they point at may live in any
app (URL names are strings: the platform imports no app).
"""

from dataclasses import dataclass, field
from string import Formatter
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

BASE_PLACEHOLDERS = ("base", "frontend")
SETTING_PREFIX = "LINK_"


@dataclass(frozen=True)
class Link:
    """One kind of emailed link: its parameters, and the app page it opens by default."""

    name: str
    url_name: str
    params: tuple[str, ...] = ()
    # Parameter -> the URL pattern's keyword, where their names differ.
    url_kwargs: dict[str, str] = field(default_factory=dict)

    @property
    def setting(self) -> str:
        """The environment variable that holds this link's template."""
        return f"{SETTING_PREFIX}{self.name.upper()}"


# Every link the emails carry (docs/decisions/0015-links-in-emails.md). Adding one: a line
# here and a row in the README's configuration table.
LINKS: dict[str, Link] = {
    spec.name: spec
    for spec in (
        # Confirms the address (the API's auth/email/verify/ takes the token).
        Link("verify_email", "accounts:verify_email", ("token",)),
        # Chooses a new password: reset, invitation, lockout notice (the API's
        # auth/password/reset/confirm/ takes uid and token).
        Link(
            "reset_password", "accounts:password_reset_confirm", ("uid", "token"), {"uid": "uidb64"}
        ),
        # Asks for a new reset link.
        Link("forgot_password", "accounts:password_reset"),
        Link("login", "accounts:login"),
        Link("course", "enrollments:course_page", ("slug",)),
        Link("my_learning", "enrollments:my_learning"),
    )
}


def public_url(path: str) -> str:
    """The absolute URL of one of this app's paths (as `reverse` returns them)."""
    if not path.startswith("/"):
        raise ValueError(f"public_url takes an absolute path, not {path!r}")
    return f"{settings.PUBLIC_BASE_URL}{path}"


def link(name: str, **params: Any) -> str:
    """The absolute URL emailed for link `name`: its template if one is set, else the
    app's own page. Raises KeyError for an unknown name and TypeError for wrong params
    (both are bugs in the caller, not input)."""
    spec = LINKS[name]
    if set(params) != set(spec.params):
        raise TypeError(f"link {name!r} takes {sorted(spec.params)}, got {sorted(params)}")
    template = link_template(name)
    if template:
        encoded = {key: quote(str(value), safe="") for key, value in params.items()}
        return template.format(**base_values(), **encoded)
    kwargs = {spec.url_kwargs.get(key, key): value for key, value in params.items()}
    return public_url(reverse(spec.url_name, kwargs=kwargs or None))


def link_template(name: str) -> str:
    return str(getattr(settings, "LINK_TEMPLATES", {}).get(name) or "")


def base_values() -> dict[str, str]:
    return {"base": settings.PUBLIC_BASE_URL, "frontend": frontend_url()}


def frontend_url() -> str:
    return str(getattr(settings, "FRONTEND_URL", "") or settings.PUBLIC_BASE_URL).rstrip("/")


def template_placeholders(template: str) -> list[str]:
    """The placeholder names a template uses; ValueError if it is not a valid template
    (an unmatched brace) or uses what `link` does not fill (positional `{}`, `{a.b}`,
    `{a[0]}`, a conversion `!r` or a format spec `:>9`)."""
    names = []
    for _, name, spec, conversion in Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"{{{name}}} is not a placeholder name")
        if spec or conversion:
            raise ValueError(f"{{{name}}} may not have a conversion or format spec")
        names.append(name)
    return names
