"""lms.links: every emailed link by name, absolute, on the app's pages or an SPA's
templates; and the start-up checks that refuse a template that could not work."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import Error, Warning
from django.urls import reverse

from lms import checks
from lms.links import LINKS, Link, link, public_url

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://lms.example.test"


@pytest.fixture(autouse=True)
def _base(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.FRONTEND_URL = BASE
    settings.LINK_TEMPLATES = {}


def test_public_url_puts_a_path_on_the_base():
    assert public_url("/learn/") == f"{BASE}/learn/"
    with pytest.raises(ValueError):
        public_url("learn/")


def test_by_default_a_link_opens_the_apps_own_page():
    assert link("verify_email", token="abc:def") == f"{BASE}/accounts/verify-email/abc:def/"
    assert link("reset_password", uid="Mg", token="set-x") == f"{BASE}/accounts/reset/Mg/set-x/"
    assert link("login") == f"{BASE}{reverse('accounts:login')}"
    assert link("course", slug="python-101") == f"{BASE}/courses/python-101/"
    assert link("my_learning") == f"{BASE}/learn/"


def test_a_template_sends_the_link_to_the_spa_with_encoded_parameters(settings):
    settings.FRONTEND_URL = "https://app.example.test/lms"
    settings.LINK_TEMPLATES = {
        "reset_password": "{frontend}/reset?uid={uid}&token={token}",
        "course": "https://m.example.test/c/{slug}?from={base}",
    }

    assert (
        link("reset_password", uid="Mg", token="a b&c=d")
        == "https://app.example.test/lms/reset?uid=Mg&token=a%20b%26c%3Dd"
    )
    assert link("course", slug="py") == f"https://m.example.test/c/py?from={BASE}"
    assert link("login") == f"{BASE}/accounts/login/"  # no template: the app's page


def test_the_frontend_defaults_to_the_public_base(settings):
    del settings.FRONTEND_URL
    settings.LINK_TEMPLATES = {"my_learning": "{frontend}/learn"}

    assert link("my_learning") == f"{BASE}/learn"


def test_a_wrong_call_is_a_bug_not_a_link():
    with pytest.raises(KeyError):
        link("unsubscribe")
    with pytest.raises(TypeError):
        link("course")
    with pytest.raises(TypeError):
        link("login", token="x")


# --- the start-up checks ------------------------------------------------------------------


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_defaults_pass_the_checks():
    assert checks.check_link_settings() == []
    assert checks.check_link_pages() == []


@pytest.mark.parametrize(
    "base",
    ["ftp://lms.example.test", "lms.example.test", "https://", "https://x.test/lms", "http://x?a"],
)
def test_a_public_base_that_is_not_an_http_origin_is_an_error(settings, base):
    settings.PUBLIC_BASE_URL = base

    assert "lms.E001" in ids(checks.check_link_settings())


def test_a_frontend_that_is_not_http_is_an_error(settings):
    settings.FRONTEND_URL = "app://open"

    assert ids(checks.check_link_settings()) == ["lms.E002"]


@pytest.mark.parametrize(
    ("templates", "expected"),
    [
        ({"unsubscribe": "{frontend}/u"}, ["lms.E003"]),
        ({"verify_email": "{frontend}/verify?t={tokne}"}, ["lms.E004", "lms.E005"]),
        ({"course": "{frontend}/c/{slug}/{lesson}"}, ["lms.E004"]),
        ({"course": "{frontend}/c/{}"}, ["lms.E004"]),
        ({"course": "{frontend}/c/{slug!r}"}, ["lms.E004"]),
        ({"course": "{frontend}/c/{slug:>9}"}, ["lms.E004"]),
        ({"course": "{frontend}/c/{slug"}, ["lms.E004"]),
        ({"reset_password": "{frontend}/reset?token={token}"}, ["lms.E005"]),
        ({"course": "/courses/{slug}"}, ["lms.E006"]),
        ({"course": "myapp://courses/{slug}"}, ["lms.E006"]),
    ],
)
def test_a_template_that_could_not_work_is_an_error(settings, templates, expected):
    settings.LINK_TEMPLATES = templates

    errors = checks.check_link_settings()

    assert ids(errors) == expected
    assert all(isinstance(error, Error) for error in errors)
    setting = f"LINK_{next(iter(templates)).upper()}"
    assert all(setting in error.msg for error in errors)


def test_every_link_with_a_template_passes(settings):
    settings.LINK_TEMPLATES = {
        name: "{frontend}/x?" + "&".join(f"{p}={{{p}}}" for p in spec.params)
        for name, spec in LINKS.items()
    }

    assert checks.check_link_settings() == []


def test_a_link_whose_page_does_not_exist_is_a_warning_unless_it_has_a_template(
    settings, monkeypatch
):
    monkeypatch.setitem(LINKS, "course", Link("course", "nowhere:page"))

    (warning,) = checks.check_link_pages()
    assert isinstance(warning, Warning) and warning.id == "lms.W001"
    assert "LINK_COURSE" in warning.hint

    settings.LINK_TEMPLATES = {"course": "{frontend}/c/{slug}"}
    monkeypatch.setitem(LINKS, "course", Link("course", "nowhere:page", ("slug",)))
    assert checks.check_link_pages() == []


def test_the_environment_sets_the_templates_and_manage_check_refuses_a_typo():
    """Read from LINK_<NAME> variables at start-up; the system checks run with every
    command (here `manage.py check`) and stop it on an unknown placeholder."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
        "LINK_VERIFY_EMAIL": "{frontend}/verify?token={tokn}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "lms.E004" in result.stderr and "{tokn}" in result.stderr

    env["LINK_VERIFY_EMAIL"] = "{frontend}/verify?token={token}"
    env["FRONTEND_URL"] = "https://app.example.test"
    script = "from lms.links import link; print(link('verify_email', token='t0k'))"
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.stdout.strip().splitlines()[-1] == "https://app.example.test/verify?token=t0k"
