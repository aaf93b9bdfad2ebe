"""The whole way through a course, in Chromium, as people do it (decision 0018).

Anonymous opens the catalogue, searches, opens the course, signs up and verifies the
address through the link in the mail a real SMTP server received; enrolls, completes a
text lesson, watches a real 4-second video to its end, takes the timed quiz (the
countdown runs), hands in the assignment and reads the grades. The instructor signs in,
lands on the hub, adds a video lesson, reorders the lessons by drag and drop and grades
the hand-in. Then the learner's course is complete.

Each page is screenshotted into test-artifacts/screenshots/journey-*.png; the page
fixture fails the test on any console error, uncaught error or response >= 500.
"""

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

# PostgreSQL: the player's heartbeats and the page's requests write concurrently from the
# live server's threads, which SQLite's shared in-memory test database cannot hold
# ("no such savepoint"); the embedded default serves one person at a time.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

COURSE_TITLE = "Browser testing from scratch"
LEARNER_EMAIL = "grace.learner@example.test"
LEARNER_PASSWORD = "a-long-and-private-passphrase-15"
LESSONS = ("Why test in a browser", "Watch a test run", "Checkpoint quiz", "Write your first test")


def build_course(video_url: str) -> tuple[Any, Any]:
    """The instructor and a published course of four lessons: text, video, a timed quiz
    and an assignment, built through the services."""
    from accounts.tests.factories import InstructorFactory
    from assignments.services import assignment_create
    from courses.services import course_create, course_publish, lesson_create, module_create
    from quizzes import services as quizzes

    instructor = InstructorFactory(
        email="ada.teacher@example.test", first_name="Ada", last_name="Teacher"
    )
    course = course_create(
        by=instructor,
        title=COURSE_TITLE,
        subtitle="Drive a real browser from your tests.",
        description="From the first page load to a green run.",
        passing_grade=70,
    )
    module = module_create(course=course, title="Basics")
    lesson_create(
        module=module,
        title=LESSONS[0],
        kind="text",
        body="Pages break in ways a **test client** never sees.",
    )
    lesson_create(module=module, title=LESSONS[1], kind="video", video_url=video_url)
    quiz_lesson = lesson_create(module=module, title=LESSONS[2], kind="quiz")
    assignment_lesson = lesson_create(module=module, title=LESSONS[3], kind="assignment")
    bank = quizzes.bank_create(course=course, title="Basics")
    quiz = quizzes.quiz_create(
        course=course,
        by=instructor,
        title=LESSONS[2],
        lesson=quiz_lesson,
        published=True,
        time_limit_minutes=10,
    )
    question = quizzes.question_create(
        bank=bank,
        kind="single",
        prompt="Which browser runs these tests?",
        data={
            "options": [{"id": "chromium", "text": "Chromium"}, {"id": "mosaic", "text": "Mosaic"}]
        },
        key={"correct": "chromium"},
        points="1",
        tags=[],
    )
    quizzes.quiz_item_add(quiz=quiz, question=question, points="1")
    assignment_create(
        course=course,
        by=instructor,
        title=LESSONS[3],
        lesson=assignment_lesson,
        instructions="Write a test that opens the catalogue.",
        points_possible=Decimal("100"),
        allow_text=True,
        is_published=True,
    )
    return instructor, course_publish(course=course, by=instructor)


def test_a_learner_and_an_instructor_go_through_a_course(
    live_server: Any,
    smtp_server: Any,
    assets_url: str,
    new_page: Callable[[], Any],
    settings: Any,
    tmp_path: Any,
) -> None:
    from playwright.sync_api import expect

    from enrollments.models import Enrollment
    from lms.testing.browser import clear_screenshots, screenshot, sign_in, take_problems
    from lms.testing.smtp import message_links

    settings.PUBLIC_BASE_URL = settings.FRONTEND_URL = live_server.url  # links in emails
    settings.ASSIGNMENTS_FILES_ROOT = tmp_path / "private"
    instructor, course = build_course(f"{assets_url}/clip-4s.webm")
    shots = iter(range(1, 100))
    clear_screenshots("journey-")

    def step(page: Any, name: str) -> None:
        """Every page of the journey: screenshotted, and clean so far."""
        screenshot(page, f"journey-{next(shots):02d}-{name}")
        problems = take_problems(page)
        assert not problems, f"{name} ({page.url}):\n" + "\n".join(problems)

    # --- anonymous: find the course ---------------------------------------------------------
    learner = new_page()
    learner.goto("/")
    expect(learner.get_by_role("heading", name="Course catalogue")).to_be_visible()
    step(learner, "catalogue")

    learner.get_by_role("searchbox").fill("browser")
    learner.get_by_role("button", name="Search").click()
    expect(learner.get_by_role("status")).to_contain_text("1 course matches your search")
    step(learner, "search")

    learner.get_by_role("link", name=COURSE_TITLE).click()
    expect(learner.get_by_role("heading", level=1)).to_have_text(COURSE_TITLE)
    step(learner, "course-page")

    # --- sign up, verify the address with the emailed link, sign in -----------------------
    learner.get_by_role("link", name="Sign in to enroll").click()
    learner.get_by_role("link", name="Create an account").click()
    learner.get_by_label("First name").fill("Grace")
    learner.get_by_label("Email").fill(LEARNER_EMAIL)
    learner.get_by_label(re.compile(r"^Password")).fill(LEARNER_PASSWORD)
    learner.get_by_label("Confirm password").fill(LEARNER_PASSWORD)
    step(learner, "sign-up")
    learner.get_by_role("button", name="Create my account").click()
    expect(learner.get_by_role("heading", name="Check your email")).to_be_visible()
    step(learner, "signed-up")

    mail = smtp_server.take(lambda m: LEARNER_EMAIL in str(m["To"]))
    verify = next(url for url in message_links(mail) if "/accounts/verify-email/" in url)
    assert verify.startswith(live_server.url), verify
    learner.goto(verify)
    expect(learner.get_by_role("heading", name="Email address confirmed")).to_be_visible()
    step(learner, "verified")

    learner.get_by_role("main").get_by_role("link", name="Sign in").click()
    learner.get_by_label("Email").fill(LEARNER_EMAIL)
    learner.get_by_label("Password").fill(LEARNER_PASSWORD)
    learner.get_by_role("button", name="Sign in").click()
    expect(learner.get_by_role("heading", name="My learning")).to_be_visible()
    step(learner, "my-learning-empty")
    learner.get_by_role("link", name="Browse the catalogue").click()
    learner.get_by_role("link", name=COURSE_TITLE).click()

    # --- enroll and learn -------------------------------------------------------------------
    learner.get_by_role("button", name="Enroll for free").click()
    continue_link = learner.get_by_role("link", name=f"Continue: {LESSONS[0]}")
    expect(continue_link).to_be_visible()
    step(learner, "enrolled")

    continue_link.click()
    expect(learner.get_by_role("heading", level=1)).to_have_text(LESSONS[0])
    learner.get_by_role("button", name="Mark complete").click()
    expect(learner.get_by_text("You have completed this lesson.")).to_be_visible()
    step(learner, "text-lesson")

    learner.get_by_role("link", name=re.compile(f"Next: {LESSONS[1]}")).click()
    video = learner.get_by_label(f"Video: {LESSONS[1]}")
    expect(video).to_be_visible()
    learner.wait_for_function("() => document.querySelector('video').readyState >= 1")
    video.focus()
    learner.keyboard.press("Space")  # the native player's play key
    expect(learner.locator("#video-status")).to_have_text(
        "Watched: this lesson is complete.", timeout=15_000
    )
    step(learner, "video-lesson")

    learner.get_by_role("link", name=re.compile(f"Next: {LESSONS[2]}")).click()
    learner.get_by_role("link", name="Take the quiz").click()
    learner.get_by_role("button", name="Start attempt").click()
    timer = learner.get_by_role("timer")
    expect(timer).to_have_text(re.compile(r"^\s*(9|10):\d\d\s*$"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first)  # it counts down
    step(learner, "quiz-countdown")
    learner.get_by_label("Chromium").check()
    learner.get_by_role("button", name="Submit", exact=True).click()
    expect(learner.get_by_text(re.compile(r"1(\.00)? / 1(\.00)?")).first).to_be_visible()
    step(learner, "quiz-result")

    learner.goto(f"/courses/{course.slug}/")
    learner.get_by_role("link", name=f"Continue: {LESSONS[3]}").click()
    learner.get_by_role("link", name="Open the assignment").click()
    learner.get_by_label("Text").fill("test('catalogue', () => page.goto('/'));")
    learner.get_by_role("button", name="Submit").click()
    expect(learner.locator(".my-submission")).to_have_count(1)
    step(learner, "hand-in")

    learner.get_by_role("link", name="My grades").click()
    grades = learner.locator("#my-grades")
    expect(grades.get_by_role("row", name=re.compile(LESSONS[2]))).to_contain_text("1")
    expect(grades.get_by_role("row", name=re.compile(LESSONS[3]))).to_contain_text("Not graded yet")
    step(learner, "grades-before")
    # Every lesson is done, but the hand-in waits for its grade (the course passes at 70 %).
    enrollment = Enrollment.objects.get(user__email=LEARNER_EMAIL, course=course)
    assert (enrollment.status, enrollment.percent) == ("active", 100)

    # --- the instructor ---------------------------------------------------------------------
    teacher = new_page()
    sign_in(teacher, instructor.email)
    expect(teacher).to_have_url(re.compile(r"/instructor/$"))
    step(teacher, "hub")

    teacher.get_by_role("link", name=COURSE_TITLE).first.click()
    expect(teacher.get_by_role("heading", name="Content")).to_be_visible()
    teacher.get_by_role("textbox", name="New lesson in Basics").fill("A second run")
    teacher.get_by_label("Kind of the new lesson in Basics").select_option(label="Video")
    teacher.get_by_role("button", name="Add lesson to Basics").click()
    teacher.get_by_label(re.compile("Video URL|Video address", re.I)).fill(
        f"{assets_url}/clip-4s.webm"
    )
    required = teacher.get_by_label(re.compile("Required", re.I))
    if required.is_checked():
        required.uncheck()  # an optional extra: it does not hold back completion
    step(teacher, "add-video-lesson")
    teacher.get_by_role("button", name="Add lesson").click()
    lessons = teacher.get_by_role("list", name="Lessons of Basics").locator(".lesson-title")
    expect(lessons).to_have_text([*LESSONS, "A second run"])
    step(teacher, "content")

    # Drag "A second run" by its handle onto the first lesson: it moves to the top.
    rows = teacher.get_by_role("list", name="Lessons of Basics").locator("li.lesson")
    rows.filter(has_text="A second run").locator(".handle").drag_to(
        rows.filter(has_text=LESSONS[0]).locator(".handle")
    )
    expect(lessons).to_have_text(["A second run", *LESSONS])
    teacher.get_by_role("button", name="Save order").click()
    expect(lessons).to_have_text(["A second run", *LESSONS])
    teacher.reload()
    expect(lessons).to_have_text(["A second run", *LESSONS])
    step(teacher, "reordered")

    teacher.get_by_role("navigation", name=f"Course {COURSE_TITLE}").get_by_role(
        "link", name="Assignments"
    ).click()
    teacher.get_by_role("row", name=re.compile(LESSONS[3])).get_by_role(
        "link", name="Grade", exact=True
    ).click()
    expect(teacher.get_by_role("heading", level=1)).to_contain_text(LESSONS[3])
    teacher.get_by_label(re.compile(r"^Points")).fill("85")
    teacher.get_by_label("Feedback", exact=True).fill("Clear and to the point.")
    teacher.get_by_label("Release to the learner").check()
    teacher.get_by_role("button", name="Save grade").click()
    expect(teacher.get_by_role("status").first).to_be_visible()
    step(teacher, "graded")

    # --- the learner: grades, and the course complete ---------------------------------------
    learner.goto(f"/learn/courses/{course.slug}/grades/")
    expect(grades.get_by_role("row", name=re.compile(LESSONS[3]))).to_contain_text("85")
    step(learner, "grades-after")

    learner.goto("/learn/")
    card = learner.get_by_role("article", name=COURSE_TITLE)
    expect(card).to_contain_text("Completed on")
    step(learner, "complete")

    enrollment.refresh_from_db()
    assert enrollment.status == "completed"
