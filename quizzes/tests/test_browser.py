"""The quiz builder and the grading queue in a real browser (Debian's Chromium driven by
Playwright, against pytest-django's live server): an instructor creates a bank and a
quiz with three questions (single choice, numeric, essay) and publishes it; a learner
takes it on the learner page; the instructor grades the essay from the queue. Then the
builder showing only the chosen kind's fields on a short page, and the countdown of a
timed attempt submitting the page at the server's deadline on a device whose clock is
three hours wrong."""

import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD, InstructorFactory, UserFactory
from courses.models import CourseStaff
from enrollments.services import enrollment_create
from lms.testing import make_course
from quizzes import services
from quizzes.models import Attempt, Quiz
from quizzes.tests.conftest import build_quiz

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
            expect(instructor.locator("#quiz-items > li")).to_have_count(1)

            form.get_by_label("Question type").select_option(label="Numeric")
            form.get_by_label("Prompt").fill("Pi to two decimals?")
            form.get_by_label("Points").fill("2")
            form.get_by_label("Numeric value").fill("3.14")
            form.locator("#id_question-tolerance").fill("0.005")
            form.get_by_label("Tolerance mode").select_option(label="Absolute")
            form.get_by_role("button", name="Add question").click()
            expect(instructor.locator("#quiz-items > li")).to_have_count(2)

            form.get_by_label("Question type").select_option(label="Essay")
            form.get_by_label("Prompt").fill("Why do tests matter?")
            form.get_by_label("Points").fill("5")
            form.get_by_label("Guidance").fill("Two reasons, one example.")
            form.get_by_role("button", name="Add question").click()
            items = instructor.locator("#quiz-items > li")
            expect(items).to_have_count(3)
            expect(items.nth(0)).to_have_attribute("data-kind", "single")
            expect(items.nth(1)).to_have_attribute("data-kind", "numeric")
            expect(items.nth(2)).to_have_attribute("data-kind", "essay")
            expect(instructor.locator("#points-possible")).to_have_text("8.00")

            instructor.get_by_text("Change the settings").click()  # collapsed by default
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


def off_the_loop(work: Callable[[], Any]) -> Any:
    """Runs ORM work in a thread of its own: Playwright's sync API runs an event loop in
    the test's thread, where Django refuses database calls."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


SPOKEN_RECORDER = """
window.spoken = [];
new MutationObserver(function () {
  var region = document.getElementById("countdown-status");
  var text = region ? region.textContent : "";
  if (text && window.spoken[window.spoken.length - 1] !== text) { window.spoken.push(text); }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

# A quiz of one question of every kind (nine) was 4,100 px tall when every kind's fields
# showed at once and the settings form was open. Now: the menu and title (~300 px), nine
# one-line <details> (~9 x 45 px), the add form with the common fields plus at most three
# of the chosen kind (~800 px), and the settings summary with the draw form and settings
# collapsed (~250 px): about 1,800 px at 1280 x 800. 2,400 px leaves room for wrapping
# and font differences while still failing if the page grows back anywhere near 4,100.
BUILDER_MAX_HEIGHT = 2400


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_builder_shows_only_the_chosen_kinds_fields_on_a_short_page(live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    owner = InstructorFactory(email="builder.owner@example.test")
    course = make_course(lessons=1, title="A builder in a browser")
    CourseStaff.objects.create(course=course, user=owner, role="owner")
    quiz = build_quiz(course, owner)  # one question of every kind
    builder_url = f"{live_server.url}/instructor/courses/{course.slug}/quizzes/{quiz.pk}/"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))  # our scripts fail
        try:
            sign_in(page, live_server.url, owner.email)
            page.goto(builder_url)
            expect(page.locator("#quiz-items > li")).to_have_count(9)
            height = page.evaluate("document.body.scrollHeight")
            print(f"builder height with 9 questions: {height}px")
            assert height < BUILDER_MAX_HEIGHT, height

            form = page.locator("#question-form")
            kind = form.get_by_label("Question type")
            expect(kind).to_have_value("single")
            expect(form.get_by_label("Choices")).to_be_visible()
            expect(form.get_by_label("Numeric value")).to_be_hidden()
            expect(form.get_by_label("Guidance")).to_be_hidden()
            expect(form.get_by_text("Used by:").first).to_be_hidden()

            kind.select_option(label="Numeric")
            expect(form.get_by_label("Numeric value")).to_be_visible()
            expect(form.get_by_label("Tolerance mode")).to_be_visible()
            expect(form.get_by_label("Choices")).to_be_hidden()
            expect(form.get_by_label("Choices")).to_be_disabled()  # not posted
            for common in ("Prompt", "Points", "Bank", "Tags"):
                expect(form.get_by_label(re.compile(rf"^{common}:?$"))).to_be_visible()
            visible = form.locator("[data-kinds]:visible")
            expect(visible).to_have_count(3)

            kind.select_option(label="Essay")
            expect(form.get_by_label("Guidance")).to_be_visible()
            expect(visible).to_have_count(1)

            # Refused (no option marked correct): the page comes back as typed.
            kind.select_option(label="Multiple choice")
            expect(visible).to_have_count(3)
            form.get_by_label("Prompt").fill("Pick the **primes**")
            form.get_by_label("Choices").fill("2\n3\n4")
            form.get_by_label("Scoring").select_option(label="Partial credit")
            form.get_by_role("button", name="Add question").click()
            expect(page.locator(".messages")).to_contain_text("correct")
            form = page.locator("#question-form")
            expect(form.get_by_label("Question type")).to_have_value("multiple")
            expect(form.get_by_label("Prompt")).to_have_value("Pick the **primes**")
            expect(form.get_by_label("Choices")).to_be_visible()
            expect(form.get_by_label("Choices")).to_have_value("2\n3\n4")
            expect(form.get_by_label("Scoring")).to_have_value("partial")
            expect(form.get_by_label("Numeric value")).to_be_hidden()

            # The compact list opens one question at a time, its prompt as Markdown.
            first = page.locator("#quiz-items > li").first
            expect(first.locator(".answer-key")).to_be_hidden()
            first.locator("summary").click()
            expect(first.locator(".answer-key")).to_contain_text("Paris (✓ correct)")
            assert errors == [], errors
        except Exception:
            shot = tmp_path / "browser-builder-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
            raise
        finally:
            browser.close()
    assert quiz.items.count() == 9  # the refused question added nothing


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_countdown_follows_the_server_clock_and_submits_at_the_deadline(live_server, tmp_path):
    """A timed quiz closing a few seconds after the learner starts: the attempt's deadline
    is the closing time (quizzes.services.deadline_for). The learner's device clock is
    three hours behind; the countdown still counts the server's seconds, warns, and
    submits the page (with an answer that was never saved) when time is up."""
    from playwright.sync_api import expect, sync_playwright

    learner = UserFactory(email="timed.learner@example.test")
    course = make_course(lessons=1, title="Timed quizzes")
    enrollment_create(user=learner, course=course)
    quiz = build_quiz(course, InstructorFactory(), kinds=("single",), time_limit_minutes=1)
    seconds = 12

    def close_soon() -> None:
        services.quiz_update(
            quiz=Quiz.objects.get(pk=quiz.pk),
            by=learner,
            closes_at=timezone.now() + timedelta(seconds=seconds),
        )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])
        context = browser.new_context()
        context.clock.install(time=time.time() - 3 * 3600)  # the device's clock is wrong
        # Everything the live region says, in order (it changes between our looks).
        context.add_init_script(SPOKEN_RECORDER)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))  # our scripts fail
        try:
            sign_in(page, live_server.url, learner.email, f"/quizzes/{quiz.pk}/take/")
            expect(page.get_by_role("button", name="Start attempt")).to_be_visible()
            off_the_loop(close_soon)
            page.get_by_role("button", name="Start attempt").click()

            timer = page.get_by_role("timer")
            expect(timer).to_have_text(re.compile(r"^0:(0\d|1[0-2])$"))
            first = int(timer.inner_text().split(":")[1])
            page.wait_for_timeout(2100)
            second = int(timer.inner_text().split(":")[1])
            assert 1 <= first - second <= 3, (first, second)  # counting down, in seconds
            expect(page.locator("#countdown")).to_have_class(re.compile("countdown-warning"))
            spoken = page.evaluate("window.spoken")
            assert spoken[0].startswith("Less than a minute left"), spoken
            assert len(spoken) <= 2, spoken  # "10 seconds left." at most: not every second

            page.get_by_label("Paris").check()  # typed, never saved
            page.wait_for_url(re.compile(r"/quizzes/attempts/\d+/$"), timeout=(seconds + 10) * 1000)
            expect(page.locator("#attempt-status")).to_contain_text("Submitted")
            expect(page.locator("#score")).to_contain_text("2.00 / 2.00")
            assert errors == [], errors
        except Exception:
            shot = tmp_path / "browser-countdown-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
            raise
        finally:
            browser.close()

    attempt = Attempt.objects.get(quiz=quiz, user=learner)
    assert attempt.status == "submitted" and attempt.score == Decimal("2.00")
    # Submitted by the page at time up: after the deadline, well within the grace.
    late = (attempt.submitted_at - attempt.deadline).total_seconds()
    assert 0 <= late < 5, late
    assert not attempt.auto_submitted  # the page's own submit, not the server's expiry
