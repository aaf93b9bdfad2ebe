"""System checks of the platform's settings, run at start-up (runserver, migrate, check).

The emailed links (lms/links.py): a template with a typo would otherwise be found by the
first learner whose link goes nowhere, so every mistake that can be seen before sending
is an error here.
"""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.urls import NoReverseMatch, reverse

from lms import links

SAMPLE_VALUE = "sample"


def _absolute_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@register("links")
def check_link_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    base = str(settings.PUBLIC_BASE_URL)
    parts = urlsplit(base)
    if not _absolute_http(base) or parts.path not in ("", "/") or parts.query or parts.fragment:
        errors.append(
            Error(
                f"PUBLIC_BASE_URL must be an http(s) origin, e.g. https://lms.example.com; "
                f"it is {base!r}.",
                hint="Scheme, host and port only: the app's paths are added to it.",
                id="lms.E001",
            )
        )
    frontend = links.frontend_url()
    frontend_parts = urlsplit(frontend)
    if not _absolute_http(frontend) or frontend_parts.query or frontend_parts.fragment:
        errors.append(
            Error(
                f"FRONTEND_URL must be an absolute http(s) URL; it is {frontend!r}.",
                id="lms.E002",
            )
        )
    for name, template in getattr(settings, "LINK_TEMPLATES", {}).items():
        errors.extend(_template_errors(name, str(template)))
    return errors


def _template_errors(name: str, template: str) -> list[CheckMessage]:
    spec = links.LINKS.get(name)
    setting = f"{links.SETTING_PREFIX}{name.upper()}"
    if spec is None:
        known = ", ".join(link.setting for link in links.LINKS.values())
        return [Error(f"{setting} is not a link the emails carry.", hint=known, id="lms.E003")]
    allowed = (*links.BASE_PLACEHOLDERS, *spec.params)
    try:
        used = links.template_placeholders(template)
    except ValueError as exc:
        return [Error(f"{setting}={template!r}: {exc}.", id="lms.E004")]
    unknown = sorted(set(used) - set(allowed))
    missing = sorted(set(spec.params) - set(used))
    errors: list[CheckMessage] = []
    choices = ", ".join(f"{{{p}}}" for p in allowed)
    if unknown:
        errors.append(
            Error(
                f"{setting}={template!r} uses unknown placeholder(s) "
                + ", ".join(f"{{{p}}}" for p in unknown),
                hint=f"Placeholders: {choices}.",
                id="lms.E004",
            )
        )
    if missing:
        errors.append(
            Error(
                f"{setting}={template!r} leaves out "
                + ", ".join(f"{{{p}}}" for p in missing)
                + ": the emailed link could not work.",
                hint=f"Placeholders: {choices}.",
                id="lms.E005",
            )
        )
    if not errors:
        sample = template.format(**links.base_values(), **dict.fromkeys(spec.params, SAMPLE_VALUE))
        if not _absolute_http(sample):
            errors.append(
                Error(
                    f"{setting}={template!r} does not make an absolute http(s) URL "
                    f"(e.g. {sample!r}).",
                    hint="Start it with {frontend}, {base} or https://.",
                    id="lms.E006",
                )
            )
    return errors


@register(Tags.urls)
def check_link_pages(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A link without a template opens the app's own page, which must exist. A warning,
    not an error: the other commands (migrate, makemigrations) must still run."""
    warnings: list[CheckMessage] = []
    for spec in links.LINKS.values():
        if links.link_template(spec.name):
            continue
        kwargs_ = {spec.url_kwargs.get(p, p): SAMPLE_VALUE for p in spec.params}
        try:
            reverse(spec.url_name, kwargs=kwargs_ or None)
        except NoReverseMatch:
            warnings.append(
                Warning(
                    f"Link {spec.name!r} opens the page {spec.url_name!r}, which does not "
                    "exist: emails carrying it cannot be sent.",
                    hint=f"Set {spec.setting} or add the page.",
                    id="lms.W001",
                )
            )
    return warnings
