"""The learner portal in a real browser (Debian's Chromium driven by Playwright through the
shared fixtures of lms.testing.browser, against pytest-django's live server): search the
catalogue, open a course, enroll, read a text lesson and mark it complete, then play a
real video whose heartbeats reach the progress API. Short on purpose: the full journey
and the accessibility audit of every page are separate tests."""

import re

import pytest

from accounts.tests.factories import UserFactory
from courses.models import Module
from courses.services import lesson_create
from courses.services.common import search_vector_refresh
from enrollments.models import Enrollment, LessonCompletion, LessonProgress
from lms.testing import make_course


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_enroll_read_and_watch_in_chromium(page, assets_url):
    from playwright.sync_api import expect

    from lms.testing.browser import sign_in

    learner = UserFactory(email="portal.learner@example.test")
    course = make_course(lessons=0, title="Smoke signals for beginners", subtitle="Signals")
    make_course(lessons=1, title="Knitting")  # a course the search leaves out
    module = Module.objects.get(course=course)
    text = lesson_create(module=module, title="Read me", body="Smoke rises **up**.")
    video = lesson_create(
        module=module, title="Watch me", kind="video", video_url=f"{assets_url}/clip-4s.webm"
    )
    search_vector_refresh(course.pk)

    sign_in(page, learner.email)
    page.goto("/")
    page.get_by_label("Search courses").fill("smoke")
    page.get_by_role("button", name="Search").click()
    results = page.locator(".course-card")
    expect(results).to_have_count(1)
    results.get_by_role("link", name="Smoke signals for beginners").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Smoke signals for beginners")
    page.get_by_role("button", name="Enroll for free").click()
    expect(page.get_by_role("status")).to_contain_text("You are enrolled")
    page.get_by_role("link", name="Continue: Read me").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Read me")
    expect(page.locator(".lesson-body strong")).to_have_text("up")
    page.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_text("You have completed this lesson.")).to_be_visible()
    assert LessonCompletion.objects.filter(enrollment__user=learner, lesson=text).exists()

    page.get_by_role("link", name=re.compile("Next: Watch me")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Watch me")
    status = page.locator("#video-status")
    expect(status).to_have_text("Not watched yet.")
    with page.expect_response(lambda r: r.url.endswith(f"/lessons/{video.pk}/progress/")) as sent:
        # Muted, so Chromium's autoplay policy lets a script start it; it plays to the end.
        page.evaluate(
            "() => { const v = document.querySelector('video'); v.muted = true; v.play(); }"
        )
    assert sent.value.status == 200
    expect(status).to_have_text("Watched: this lesson is complete.", timeout=15_000)

    progress = LessonProgress.objects.get(enrollment__user=learner, lesson=video)
    assert progress.last_position_seconds >= 3  # a 4-second clip played through
    enrollment = Enrollment.objects.get(user=learner, course=course)
    assert (enrollment.completed_count, enrollment.percent) == (2, 100)
