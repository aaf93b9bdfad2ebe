"""The roster in a real browser (Debian's Chromium driven by Playwright, against
pytest-django's live server): the owner signs in, opens the roster, sees each learner's
progress bar at the stored percentage, and the inactive filter leaves only the learner
who has done nothing for 14 days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD, InstructorFactory, UserFactory
from courses.models import CourseStaff
from enrollments.models import Enrollment
from enrollments.services import enrollment_create, lesson_complete
from lms.testing import course_lessons, make_course

CHROMIUM_PATH = "/usr/bin/chromium"  # the `browser` marker skips (or fails in CI) without it


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_owner_sees_progress_bars_and_filters_inactive_learners_in_chromium(
    live_server, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    # Before the browser starts: Playwright's sync API runs an event loop in this thread,
    # and Django refuses ORM calls from a thread with a running loop.
    owner = InstructorFactory(email="roster.owner@example.test")
    course = make_course(lessons=4, title="Roster in a browser")
    CourseStaff.objects.create(course=course, user=owner, role="owner")
    lessons = course_lessons(course)
    expected = {"ann@example.test": 0, "bob@example.test": 50, "cy@example.test": 75}
    for email, percent in expected.items():
        enrollment = enrollment_create(user=UserFactory(email=email), course=course)
        for lesson in lessons[: percent * len(lessons) // 100]:
            enrollment, _ = lesson_complete(enrollment=enrollment, lesson=lesson)
    long_ago = timezone.now() - timedelta(days=30)
    Enrollment.objects.filter(user__email="cy@example.test").update(
        enrolled_at=long_ago, last_activity_at=long_ago
    )
    roster = f"{live_server.url}/instructor/courses/{course.slug}/learners/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        page = browser.new_page()
        try:
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("Email").fill(owner.email)
            page.get_by_label("Password").fill(TEST_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="My courses")).to_be_visible()

            page.goto(roster)
            expect(page.get_by_role("heading", name="Learners", exact=True)).to_be_visible()
            rows = page.locator("#roster tbody tr")
            expect(rows).to_have_count(3)
            for email, percent in expected.items():
                bar = page.get_by_role("progressbar", name=f"Progress of {email}")
                expect(bar).to_be_visible()
                expect(bar).to_have_attribute("value", str(percent))
                expect(bar).to_have_js_property("position", percent / 100)
                expect(page.locator(f'tr[data-email="{email}"] .percent')).to_have_text(
                    f"{percent}%"
                )

            page.get_by_label("Show").select_option(label="Inactive 14 days")
            page.get_by_role("button", name="Apply filters").click()
            expect(page).to_have_url(f"{roster}?show=inactive&q=")
            expect(rows).to_have_count(1)
            expect(page.get_by_role("progressbar")).to_have_count(1)
            expect(
                page.get_by_role("progressbar", name="Progress of cy@example.test")
            ).to_be_visible()
            expect(page.locator("#roster")).not_to_contain_text("ann@example.test")
            expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
                "href", f"/instructor/courses/{course.slug}/learners.csv?show=inactive"
            )
        except Exception:
            shot = tmp_path / "browser-roster-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")  # shown with the failure report
            raise
        finally:
            browser.close()
