"""The quiz builder and the grading queue in a real browser (Debian's Chromium driven by
Playwright, against pytest-django's live server): an instructor creates a bank and a
quiz with three questions (single choice, numeric, essay) and publishes it; a learner
takes it on the learner page; the instructor grades the essay from the queue."""

from decimal import Decimal

import pytest

from accounts.tests.factories import TEST_PASSWORD, InstructorFactory, UserFactory
from courses.models import CourseStaff
from enrollments.services import enrollment_create
from lms.testing import make_course
from quizzes.models import Attempt, Quiz

CHROMIUM_PATH = "/usr/bin/chromium"  # the `browser` marker skips (or fails in CI) without it


def sign_in(page, base_url: str, email: str, next_url: str = "") -> None:
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_instructor_builds_a_three_question_quiz_and_grades_an_essay_in_chromium(
    live_server, tmp_path
):
    from playwright.sync_api import expect, sync_playwright

    # Before the browser starts: Playwright's sync API runs an event loop in this thread,
    # and Django refuses ORM calls from a thread with a running loop.
    owner = InstructorFactory(email="quiz.owner@example.test")
    learner = UserFactory(email="quiz.learner@example.test")
    course = make_course(lessons=1, title="Quizzes in a browser")
    CourseStaff.objects.create(course=course, user=owner, role="owner")
    enrollment_create(user=learner, course=course)
    quizzes_url = f"{live_server.url}/instructor/courses/{course.slug}/quizzes/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        instructor = browser.new_context().new_page()
        student = browser.new_context().new_page()
        page = instructor
        try:
            sign_in(instructor, live_server.url, owner.email)
            expect(instructor.get_by_role("heading", name="My courses")).to_be_visible()

            instructor.goto(quizzes_url)
            instructor.get_by_label("Bank title").fill("Chapter 1")
            instructor.get_by_role("button", name="Create bank").click()
            expect(instructor.locator("#bank-list")).to_contain_text("Chapter 1")
            instructor.get_by_label("Quiz title").fill("Checkpoint")
            instructor.get_by_role("button", name="Create quiz").click()
            expect(instructor.get_by_role("heading", name="Checkpoint")).to_be_visible()

            form = instructor.locator("#question-form")
            form.get_by_label("Question type").select_option(label="Single choice")
            form.get_by_label("Prompt").fill("Capital of France?")
            form.get_by_label("Points").fill("1")
            form.get_by_label("Choices").fill("*Paris\nLyon\nNice")
            form.get_by_role("button", name="Add question").click()
            expect(instructor.locator("#quiz-items li")).to_have_count(1)

            form.get_by_label("Question type").select_option(label="Numeric")
            form.get_by_label("Prompt").fill("Pi to two decimals?")
            form.get_by_label("Points").fill("2")
            form.get_by_label("Numeric value").fill("3.14")
            form.locator("#id_question-tolerance").fill("0.005")
            form.get_by_label("Tolerance mode").select_option(label="Absolute")
            form.get_by_role("button", name="Add question").click()
            expect(instructor.locator("#quiz-items li")).to_have_count(2)

            form.get_by_label("Question type").select_option(label="Essay")
            form.get_by_label("Prompt").fill("Why do tests matter?")
            form.get_by_label("Points").fill("5")
            form.get_by_label("Guidance").fill("Two reasons, one example.")
            form.get_by_role("button", name="Add question").click()
            items = instructor.locator("#quiz-items li")
            expect(items).to_have_count(3)
            expect(items.nth(0)).to_have_attribute("data-kind", "single")
            expect(items.nth(1)).to_have_attribute("data-kind", "numeric")
            expect(items.nth(2)).to_have_attribute("data-kind", "essay")
            expect(instructor.locator("#points-possible")).to_have_text("8.00")

            instructor.get_by_label("Published").check()
            instructor.get_by_role("button", name="Save settings").click()
            expect(instructor.get_by_text("Settings saved.")).to_be_visible()
            quiz_path = instructor.url.split(live_server.url, 1)[1]
            quiz_id = int(quiz_path.rstrip("/").rsplit("/", 1)[1])

            page = student
            sign_in(student, live_server.url, learner.email, f"/quizzes/{quiz_id}/take/")
            expect(student.get_by_role("heading", name="Checkpoint")).to_be_visible()
            student.get_by_role("button", name="Start attempt").click()
            student.get_by_label("Paris").check()
            student.get_by_label("Your number").fill("3.141")
            student.get_by_label("Your essay").fill("They catch regressions, e.g. rounding.")
            student.get_by_role("button", name="Submit").click()
            expect(student.locator("#score")).to_contain_text("3.00 / 8.00")
            expect(student.locator("#score")).to_contain_text("wait for grading")

            page = instructor
            instructor.goto(f"{quizzes_url}{quiz_id}/grading/")
            expect(instructor.get_by_text("They catch regressions, e.g. rounding.")).to_be_visible()
            instructor.get_by_label(f"Points for {learner.email}").fill("4")
            instructor.get_by_label(f"Feedback for {learner.email}").fill("Good example.")
            instructor.get_by_role("button", name="Save grade").click()
            expect(instructor.get_by_text("Graded: 4")).to_be_visible()
            expect(instructor.locator("#queue-empty")).to_be_visible()

            page = student
            student.reload()
            expect(student.locator("#score")).to_contain_text("7.00 / 8.00")
            expect(student.locator("#score")).to_contain_text("passed")
        except Exception:
            shot = tmp_path / "browser-quizzes-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")  # shown with the failure report
            raise
        finally:
            browser.close()

    quiz = Quiz.objects.get(pk=quiz_id)
    assert [i.question.kind for i in quiz.items.select_related("question")] == [
        "single",
        "numeric",
        "essay",
    ]
    attempt = Attempt.objects.get(quiz=quiz, user=learner)
    assert attempt.score == Decimal("7.00") and attempt.is_final and attempt.passed
    essay = attempt.answers.get(question__kind="essay")
    assert (essay.points_awarded, essay.feedback, essay.graded_by) == (
        Decimal("4.00"),
        "Good example.",
        owner,
    )
