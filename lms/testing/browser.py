"""Browser tests: Debian's Chromium driven by Playwright, once per test session.

Fixtures (registered as a pytest plugin by the root conftest):
- `chromium`: the one Browser of the session (launched on first use, closed at the end);
- `new_page`: `new_page()` -> a Page in a fresh context (own cookies) whose `goto("/...")`
  is relative to the live server; every page records console errors, uncaught page
  errors, failed requests and responses >= 500, and the test fails at teardown if any of
  them was recorded and not taken with `take_problems(page)`;
- `page`: one such page.

`assets_url`: the URL of `vendor/` on the live server (`/clip-4s.webm`).

Helpers: `audit(page, name)` (axe-core, vendored: no serious or critical violation),
`screenshot(page, name)` (into test-artifacts/screenshots/, kept out of git),
`sign_in(page, email)`, `take_problems(page)`, `axe_violations(page)`,
`clear_screenshots(prefix)`.

Tests that use these are marked `browser` and use pytest-django's `live_server` (which
needs `transaction=True`: the server thread reads what the test wrote). Decision 0018.
"""

import asyncio
import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.db import connections

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Response

CHROMIUM_PATH = "/usr/bin/chromium"  # Debian's; `playwright install` is never used
AXE_JS = Path(__file__).with_name("vendor") / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
# axe-core's impact levels are minor, moderate, serious, critical: the last two fail.
FAILING_IMPACTS = ("serious", "critical")
# Long enough for a cold page on a busy 2-core machine, short enough to fail fast.
TIMEOUT_MS = 10_000

_RECORDS = "_lms_problems"


# --- one browser per session ----------------------------------------------------------------


class _Session:
    """Playwright's driver and Chromium, started on first use.

    Playwright's sync API runs an asyncio loop in a greenlet of this thread and marks it as
    the thread's running loop between its calls. Left marked, every later test of the
    session would see a running loop: Django refuses ORM calls ("async unsafe"),
    `async_to_sync` and `asyncio.run` refuse to start, and another `sync_playwright()`
    refuses too. So the mark is set only while a browser test runs (`active()`), exactly
    as Playwright itself sets it after each call (playwright/_impl/_greenlets.py).
    """

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> "Browser":
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            self.loop = asyncio.get_running_loop()  # Playwright's, marked by start()
            self.browser = self.playwright.chromium.launch(
                executable_path=CHROMIUM_PATH, args=["--no-sandbox"]
            )
        return self.browser

    @contextmanager
    def active(self) -> Iterator["Browser"]:
        if self.loop is not None:
            asyncio._set_running_loop(self.loop)
        try:
            yield self.start()
        finally:
            asyncio._set_running_loop(None)

    def stop(self) -> None:
        if self.playwright is None:
            return
        asyncio._set_running_loop(self.loop)
        try:
            if self.browser is not None:
                self.browser.close()
        finally:
            self.playwright.stop()  # closes Playwright's loop and clears the mark


@pytest.fixture(scope="session")
def _browser_session() -> Iterator[_Session]:
    session = _Session()
    yield session
    session.stop()


@pytest.fixture
def chromium(_browser_session: _Session, monkeypatch: pytest.MonkeyPatch) -> Iterator["Browser"]:
    # While the browser is in use its loop is marked running in this thread, but nothing
    # async runs here: the test's ORM calls are as safe as in any sync test. The live
    # server answers from its own thread, untouched by this.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with _browser_session.active() as browser:
        yield browser
        # Django keeps a thread's connections in an asgiref Local that, under a running
        # loop, is a context-local store of its own: the ORM calls of a browser test open
        # their own connection there, which the test database teardown (loop not marked)
        # never sees. Give it back to the pool while that store is still the current one.
        connections.close_all()


# --- pages that record what went wrong ------------------------------------------------------


def _record(page: "Page") -> list[str]:
    problems: list[str] = []
    setattr(page, _RECORDS, problems)

    def on_console(message: "ConsoleMessage") -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            problems.append(f"console error: {message.text} ({where})")

    def on_page_error(error: Exception) -> None:
        problems.append(f"uncaught error: {error}")

    def on_response(response: "Response") -> None:
        if response.status >= 500:
            problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def on_request_failed(request: "Request") -> None:
        failure = request.failure or ""
        # A navigation that replaces a page aborts the old page's pending loads: not a fault.
        if "ERR_ABORTED" not in failure:
            problems.append(f"request failed: {request.method} {request.url} ({failure})")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    return problems


def take_problems(page: "Page", *, expected_status: int | None = None) -> list[str]:
    """The problems recorded on the page since the last call (and forgets them).

    With `expected_status` (a page visited for its 403/404), Chromium's console line for
    that status of the document itself is expected, not a problem.
    """
    problems: list[str] = getattr(page, _RECORDS)
    taken = list(problems)
    problems.clear()
    if expected_status is not None:
        expected = f"the server responded with a status of {expected_status}"
        document = page.url
        taken = [p for p in taken if not (expected in p and p.endswith(f"({document})"))]
    return taken


@pytest.fixture
def new_page(chromium: "Browser", live_server: Any, request: pytest.FixtureRequest):
    """`new_page()`: a page in its own browser context (own cookies: one person each)."""
    pages: list[Page] = []

    def make() -> "Page":
        context = chromium.new_context(base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        _record(page)
        pages.append(page)
        return page

    yield make

    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    left: list[str] = []
    for number, page in enumerate(pages, start=1):
        if failed and not page.is_closed():
            screenshot(page, f"failure-{request.node.name}-{number}")
        left += take_problems(page)
        page.context.close()
    if left and not failed:
        pytest.fail("the browser reported problems:\n" + "\n".join(left), pytrace=False)


@pytest.fixture
def page(new_page: Callable[[], "Page"]) -> "Page":
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keeps each phase's report on the item (`rep_call`): teardown screenshots failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def assets_url(live_server: Any, settings: Any) -> str:
    """The URL of `vendor/` on the live server (e.g. `<url>/clip-4s.webm`, a real 4-second
    video), served like any static file: same origin as the pages, as the site's
    Content-Security-Policy wants media. Video lessons point at it; no network needed."""
    # Changing STATICFILES_DIRS clears the static finders' cache (Django's test signals).
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, ("lms-test-assets", AXE_JS.parent)]
    return f"{live_server.url}/{settings.STATIC_URL.strip('/')}/lms-test-assets"


# --- checks and artifacts -------------------------------------------------------------------


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: "Page") -> list[str]:
    """axe-core's serious and critical violations on the page, one line per node."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluate, not a <script> tag: no CSP of the page can refuse it.
        page.evaluate(_axe_source())
    results = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }"""
    )
    lines = []
    for violation in results:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(
                f"{violation['impact']} {violation['id']} ({violation['help']}): "
                f"{node['target']}: {summary}"
            )
    return lines


def audit(page: "Page", name: str) -> None:
    """Fails when axe-core finds a serious or critical violation on the page."""
    violations = axe_violations(page)
    assert not violations, f"accessibility of {name} ({page.url}):\n" + "\n".join(violations)


def screenshot(page: "Page", name: str) -> Path:
    """A full-page PNG in test-artifacts/screenshots/ (git ignores test-artifacts/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name).strip('-')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def clear_screenshots(prefix: str) -> None:
    """Removes the screenshots named `<prefix>*.png` of an earlier run, so the folder shows
    this run's pages only (call at the start of a test that numbers its pages)."""
    for path in SCREENSHOTS.glob(f"{prefix}*.png"):
        path.unlink(missing_ok=True)


def sign_in(page: "Page", email: str, password: str | None = None) -> None:
    """Signs in through the login page, as a person would, and waits to leave it."""
    from playwright.sync_api import expect

    if password is None:
        from accounts.tests.factories import TEST_PASSWORD

        password = TEST_PASSWORD
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # Left the login page (for the next page, or the MFA step at /accounts/login/mfa/).
    expect(page).not_to_have_url(re.compile(r"/accounts/login/(\?.*)?$"))
