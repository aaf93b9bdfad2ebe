"""The whole loop in Chromium (Playwright against the live server): a student uploads a
file with the progress bar; the instructor opens it in the speed grader, grades it with
the rubric and releases it; the student sees the grade and its explanation."""

from decimal import Decimal

import pytest

from accounts.tests.factories import TEST_PASSWORD, InstructorFactory, UserFactory
from assignments.models import Assignment
from assignments.services import submission_create
from assignments.tests.factories import PDF_BYTES, RUBRIC, file_assignment
from courses.models import CourseStaff
from courses.tests.factories import CourseFactory
from enrollments.services import enrollment_create

CHROMIUM_PATH = "/usr/bin/chromium"  # the `browser` marker skips (or fails in CI) without it


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_grade_with_rubric_release_and_explain_in_chromium(live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    # Rows first: Django refuses ORM calls from a thread with a running event loop.
    owner = InstructorFactory(email="grader@example.test")
    student = UserFactory(email="learner@example.test")
    course = CourseFactory(published=True, title="Browser course")
    CourseStaff.objects.create(course=course, user=owner, role="owner")
    enrollment_create(user=student, course=course)
    assignment = file_assignment(
        course, title="Essay in a browser", rubric=RUBRIC, points_possible=Decimal("100")
    )
    # Another learner handed in too (the speed grader goes by learner id: they come second).
    early = UserFactory(email="early@example.test")
    enrollment_create(user=early, course=course)
    submission_create(assignment=assignment, user=early, text="Early bird")
    base = live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        learner_page = browser.new_context().new_page()
        grader_page = browser.new_context(accept_downloads=True).new_page()
        current = learner_page
        try:
            sign_in(learner_page, base, student.email)
            learner_page.goto(f"{base}/learn/assignments/{assignment.pk}/")
            expect(learner_page.get_by_role("heading", name="Essay in a browser")).to_be_visible()
            learner_page.locator("#files").set_input_files(
                files=[{"name": "essay.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
            )
            learner_page.get_by_role("button", name="Submit").click()
            submitted = learner_page.locator(".my-submission")
            expect(submitted).to_have_count(1)
            expect(submitted).to_contain_text("Version 1")
            expect(submitted.get_by_role("link", name="essay.pdf")).to_be_visible()
            expect(submitted).to_contain_text("Not graded yet.")

            current = grader_page
            sign_in(grader_page, base, owner.email)
            grader_page.goto(f"{base}/instructor/assignments/{assignment.pk}/grade/")
            expect(grader_page.get_by_text("learner@example.test · version 1")).to_be_visible()
            expect(grader_page.get_by_text("Learner 1 of 2")).to_be_visible()
            grader_page.keyboard.press("j")  # next learner
            expect(grader_page.get_by_text("early@example.test · version 1")).to_be_visible()
            expect(grader_page.get_by_text("Learner 2 of 2")).to_be_visible()
            grader_page.keyboard.press("k")  # and back
            expect(grader_page.get_by_text("Learner 1 of 2")).to_be_visible()
            expect(grader_page.get_by_text("learner@example.test · version 1")).to_be_visible()
            with grader_page.expect_download() as download_info:
                grader_page.get_by_role("link", name="essay.pdf").click()
            download = download_info.value
            assert download.suggested_filename == "essay.pdf"
            assert open(download.path(), "rb").read() == PDF_BYTES  # noqa: SIM115
            grader_page.get_by_label("Strong (60.00)").check()
            grader_page.get_by_label("Poor (5.00)").check()
            grader_page.get_by_label("Feedback", exact=True).fill(
                "Strong argument; polish the style."
            )
            grader_page.get_by_label("Release to the learner").check()
            grader_page.get_by_role("button", name="Save grade").click()
            expect(grader_page.locator("#current-grade")).to_contain_text("65.00")
            expect(grader_page.locator("#current-grade")).to_contain_text("Released")

            current = learner_page
            learner_page.reload()
            expect(learner_page.locator(".my-submission .grade")).to_contain_text("65.00")
            expect(learner_page.locator(".feedback")).to_contain_text("polish the style")
            learner_page.get_by_role("link", name="My grades").first.click()
            expect(learner_page.locator("#course-grade")).to_contain_text("65.00%")
            expect(learner_page.locator("#course-grade .letter")).to_have_text("D")
            explain = learner_page.locator("#explain")
            expect(explain).to_contain_text("Essay in a browser: 65.00 / 100.00 · Graded")
            expect(explain.locator("#weighted-sum")).to_contain_text("65.00")
            expect(explain.locator("#weighted-sum")).to_contain_text("letter D")
        except Exception:
            shot = tmp_path / "browser-assignments-failure.png"
            current.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")  # shown with the failure report
            raise
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_rubric_builder_saves_criteria_and_levels_in_chromium(live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    owner = InstructorFactory(email="author@example.test")
    course = CourseFactory(published=True, title="Rubric course")
    CourseStaff.objects.create(course=course, user=owner, role="owner")
    base = live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        page = browser.new_page()
        try:
            sign_in(page, base, owner.email)
            page.goto(f"{base}/instructor/courses/{course.slug}/assignments/new/")
            page.get_by_label("Title").fill("Built in the browser")
            page.get_by_label("Points possible").fill("50")
            expect(page.locator("textarea.rubric-json")).to_be_hidden()  # the builder took over
            page.get_by_role("button", name="Add criterion").click()
            page.get_by_label("Criterion 1 title").fill("Accuracy")
            page.get_by_label("Level 1 title").fill("Poor")
            page.get_by_label("Level 1 points").fill("5")
            page.get_by_role("button", name="Add level").click()
            page.get_by_label("Level 2 title").fill("Great")
            page.get_by_label("Level 2 points").fill("50")
            page.get_by_role("button", name="Save assignment").click()
            expect(page.get_by_role("heading", name="Edit: Built in the browser")).to_be_visible()
            expect(page.get_by_label("Level 2 points")).to_have_value("50.00")
        except Exception:
            shot = tmp_path / "browser-rubric-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")  # shown with the failure report
            raise
        finally:
            browser.close()
    saved = Assignment.objects.get(title="Built in the browser")
    assert [
        (c["title"], [(lv["title"], lv["points"]) for lv in c["levels"]]) for c in saved.rubric
    ] == [("Accuracy", [("Poor", "5.00"), ("Great", "50.00")])]
