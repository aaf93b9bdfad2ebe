"""The instructor's authoring flow in a real browser (Debian's Chromium driven by
Playwright, against pytest-django's live server): sign in, create a course, add a module
and two lessons, reorder, publish; then the anonymous catalogue API lists the course."""

import json
import urllib.request

import pytest

from accounts.tests.factories import TEST_PASSWORD, InstructorFactory

CHROMIUM_PATH = "/usr/bin/chromium"  # the `browser` marker skips (or fails in CI) without it


def catalogue_slugs(base_url: str) -> list[str]:
    """GET /api/v1/courses/ over HTTP, anonymously (no cookies of the browser)."""
    with urllib.request.urlopen(f"{base_url}/api/v1/courses/", timeout=10) as response:  # noqa: S310
        assert response.status == 200
        return [course["slug"] for course in json.load(response)["data"]]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_instructor_authors_and_publishes_a_course_in_chromium(live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    # Before the browser starts: Playwright's sync API runs an event loop in this thread,
    # and Django refuses ORM calls from a thread with a running loop.
    instructor = InstructorFactory(email="browser.instructor@example.test")
    assert catalogue_slugs(live_server.url) == []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        page = browser.new_page()
        try:
            page.goto(f"{live_server.url}/instructor/")
            expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/instructor/")
            page.get_by_label("Email").fill(instructor.email)
            page.get_by_label("Password").fill(TEST_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="My courses")).to_be_visible()

            page.get_by_role("link", name="New course").click()
            page.get_by_label("Title", exact=True).fill("Browsers & Tests")
            page.get_by_label("Description (Markdown)").fill("Learn to **test** in a browser.")
            page.get_by_role("button", name="Create course").click()
            expect(page).to_have_url(f"{live_server.url}/instructor/courses/browsers-tests/")
            expect(page.locator("#publish-problems")).to_contain_text("Add at least one module")
            expect(page.get_by_role("button", name="Publish course")).to_be_disabled()

            page.get_by_label("New module title").fill("Getting started")
            page.get_by_role("button", name="Add module").click()
            for title in ("Install Chromium", "Write a test"):
                page.get_by_label("New lesson in Getting started").fill(title)
                page.get_by_role("button", name="Add lesson to Getting started").click()
                expect(page.get_by_role("link", name=title)).to_be_visible()
            lessons = page.get_by_role("list", name="Lessons of Getting started").get_by_role(
                "link"
            )
            expect(lessons).to_have_text(["Install Chromium", "Write a test"])

            page.get_by_role("button", name="Move lesson Write a test up").click()
            expect(lessons).to_have_text(["Write a test", "Install Chromium"])

            expect(page.locator("#publish-problems")).to_have_count(0)
            page.get_by_role("button", name="Publish course").click()
            expect(page.get_by_role("status")).to_contain_text("Published")
            expect(page.locator("#course-status")).to_have_text("Published")
            expect(page.get_by_role("button", name="Archive course")).to_be_visible()
        except Exception:
            shot = tmp_path / "browser-authoring-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")  # shown with the failure report
            raise
        finally:
            browser.close()

    assert catalogue_slugs(live_server.url) == ["browsers-tests"]
