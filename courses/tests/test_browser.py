"""The instructor's authoring flow in a real browser (Debian's Chromium driven by
Playwright, against pytest-django's live server): sign in, create a course, add modules
and lessons through the kind-aware form (a video lesson refused, then added), reorder by
drag and drop and by keyboard, save the order in one request, reload, publish from the
Settings page; then the anonymous catalogue API lists the course. And the Content page of
a course of 3 modules x 5 lessons stays short."""

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


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/instructor/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=["--no-sandbox"])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_instructor_authors_reorders_and_publishes_a_course_in_chromium(live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    # Before the browser starts: Playwright's sync API runs an event loop in this thread,
    # and Django refuses ORM calls from a thread with a running loop.
    instructor = InstructorFactory(email="browser.instructor@example.test")
    assert catalogue_slugs(live_server.url) == []
    base = f"{live_server.url}/instructor/courses/browsers-tests/"

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        # Script errors, and every 4xx/5xx answer (the invalid lesson form's 400 expected).
        errors: list[str] = []
        refused: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("response", lambda r: r.status >= 400 and refused.append(f"{r.status} {r.url}"))
        try:
            sign_in(page, live_server.url, instructor.email)
            expect(page.get_by_role("heading", name="My courses")).to_be_visible()

            page.get_by_role("link", name="New course").click()
            page.get_by_label("Title", exact=True).fill("Browsers & Tests")
            page.get_by_label("Description (Markdown)").fill("Learn to **test** in a browser.")
            page.get_by_role("button", name="Create course").click()
            expect(page).to_have_url(base)
            hub = page.get_by_role("navigation", name="Course Browsers & Tests")
            expect(hub.get_by_role("link", name="Content")).to_have_attribute(
                "aria-current", "page"
            )
            expect(page.get_by_role("link", name="1 thing to do before publishing")).to_be_visible()

            for title in ("Getting started", "Next steps"):
                page.get_by_label("New module title").fill(title)
                page.get_by_role("button", name="Add module").click()
                expect(page.get_by_role("heading", name=title)).to_be_visible()

            def add_lesson(module: str, title: str, kind: str, **fields: str) -> None:
                page.get_by_label(f"New lesson in {module}", exact=True).fill(title)
                page.get_by_label(f"Kind of the new lesson in {module}").select_option(label=kind)
                page.get_by_role("button", name=f"Add lesson to {module}").click()
                expect(
                    page.get_by_role("heading", name=f"New lesson in “{module}”")
                ).to_be_visible()
                expect(page.get_by_label("Title", exact=True)).to_have_value(title)
                for label, value in fields.items():
                    page.get_by_label(label).fill(value)
                page.get_by_role("button", name="Add lesson", exact=True).click()

            # A video lesson: only the video's fields show; without an address it is
            # refused with the reason, and what was typed is still there.
            page.get_by_label("New lesson in Getting started", exact=True).fill("Watch the intro")
            page.get_by_label("Kind of the new lesson in Getting started").select_option("video")
            page.get_by_role("button", name="Add lesson to Getting started").click()
            expect(page.get_by_label("Video address (video lessons)")).to_be_visible()
            expect(page.get_by_label("File (file lessons)")).to_be_hidden()
            expect(page.get_by_label("Web address (link lessons)")).to_be_hidden()
            page.get_by_label("Duration (minutes)").fill("7")
            page.get_by_role("button", name="Add lesson", exact=True).click()
            expect(page.get_by_text("A video lesson needs this.")).to_be_visible()
            expect(page.get_by_label("Title", exact=True)).to_have_value("Watch the intro")
            expect(page.get_by_label("Duration (minutes)")).to_have_value("7")
            page.get_by_label("Video address (video lessons)").fill("https://videos.example/intro")
            page.get_by_role("button", name="Add lesson", exact=True).click()
            expect(page.get_by_role("status").first).to_contain_text("“Watch the intro” added")
            video = page.locator("li.lesson", has_text="Watch the intro")
            expect(video.locator(".kind")).to_have_text("Video")
            expect(video.locator(".duration")).to_have_text("7 min")

            add_lesson("Getting started", "Install Chromium", "Text",
                       **{"Text or notes (Markdown)": "Use **apt**."})  # fmt: skip
            add_lesson("Getting started", "Write a test", "Text")
            docs = "https://playwright.dev/python/"
            add_lesson(
                "Next steps", "Read the docs", "Link", **{"Web address (link lessons)": docs}
            )

            first = page.get_by_role("list", name="Lessons of Getting started").locator(
                ".lesson-title"
            )
            second = page.get_by_role("list", name="Lessons of Next steps").locator(".lesson-title")
            modules = page.locator("#outline .module-head h2")
            expect(first).to_have_text(["Watch the intro", "Install Chromium", "Write a test"])
            expect(page.locator("#order-bar")).to_be_hidden()

            def handle(title: str):
                return page.locator("li.lesson", has_text=title).locator(".handle")

            # Drag and drop: within a module, into another module, and a whole module.
            # Onto the middle of the first row (its handle): it takes the first place.
            handle("Write a test").drag_to(handle("Watch the intro"))
            expect(first).to_have_text(["Write a test", "Watch the intro", "Install Chromium"])
            expect(page.locator("#order-bar")).to_be_visible()
            handle("Install Chromium").drag_to(
                page.locator("li.lesson", has_text="Read the docs"),
                target_position={"x": 40, "y": 30},
            )
            expect(second).to_have_text(["Read the docs", "Install Chromium"])
            page.locator("li.module", has_text="Next steps").locator(
                ".module-head .handle"
            ).drag_to(
                page.locator("li.module", has_text="Getting started"),
                target_position={"x": 60, "y": 150},  # its lower half: still its place
            )
            expect(modules).to_have_text(["Module 1: Next steps", "Module 2: Getting started"])

            # Keyboard: the move buttons keep the focus, and a lesson at the end of a module
            # goes on into the next one.
            down = page.get_by_role("button", name="Move lesson Read the docs down")
            down.focus()
            page.keyboard.press("Enter")
            expect(second).to_have_text(["Install Chromium", "Read the docs"])
            expect(down).to_be_focused()
            page.keyboard.press("Enter")
            expect(second).to_have_text(["Install Chromium"])
            expect(first).to_have_text(["Read the docs", "Write a test", "Watch the intro"])
            expect(down).to_be_focused()
            expect(page.locator("#order-status")).to_contain_text("is now lesson 1 of module 2")
            page.keyboard.press("Shift+Tab")  # to "Move ... up"
            page.keyboard.press("Enter")
            expect(second).to_have_text(["Install Chromium", "Read the docs"])

            page.get_by_role("button", name="Save order").click()
            expect(page.get_by_role("status").first).to_contain_text("New order saved.")
            page.reload()
            expect(modules).to_have_text(["Module 1: Next steps", "Module 2: Getting started"])
            expect(second).to_have_text(["Install Chromium", "Read the docs"])
            expect(first).to_have_text(["Write a test", "Watch the intro"])
            expect(page.locator("#order-bar")).to_be_hidden()

            hub.get_by_role("link", name="Settings").click()
            expect(page).to_have_url(f"{base}settings/")
            expect(page.locator("#publish-problems")).to_have_count(0)
            page.get_by_role("button", name="Publish course").click()
            expect(page.get_by_role("status").first).to_contain_text("Published")
            expect(page.locator("#course-status")).to_have_text("Published")
            expect(page.get_by_role("button", name="Archive course")).to_be_visible()
            # Chromium reports each 4xx answer, and the favicon it asks for, in the console.
            assert [e for e in errors if not e.startswith("Failed to load resource")] == []
            assert len(refused) == 1, refused
            assert refused[0].startswith(f"400 {base}modules/")
        except Exception:
            shot = tmp_path / "browser-authoring-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")  # shown with the failure report
            raise
        finally:
            browser.close()

    assert catalogue_slugs(live_server.url) == ["browsers-tests"]


# 3 modules x 5 lessons at 1280 x 800: each module is a head (~40 px), its summary
# (~30 px), 5 one-line lesson rows (~40 px each) and the quick-add row (~45 px), about
# 330 px with margins; the site header, the hub menu, the title, the summary, the help
# line and "Add module" take about 400 px. That is ~1,400 px; the bound leaves room for
# fonts and still is half the old editor's 3,600 px.
CONTENT_PAGE_MAX_PX = 1800


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_content_page_of_a_15_lesson_course_is_short(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    from courses.models import CourseStaff
    from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory

    instructor = InstructorFactory(email="short.page@example.test")
    course = CourseFactory(title="Fifteen lessons")
    CourseStaff.objects.create(course=course, user=instructor, role=CourseStaff.Role.OWNER)
    for m in range(3):
        module = ModuleFactory(course=course, title=f"Week {m + 1}: a module title of some length")
        for n in range(5):
            LessonFactory(module=module, title=f"Lesson {n + 1} with a realistic, longer title",
                          duration_minutes=10)  # fmt: skip

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            sign_in(page, live_server.url, instructor.email)
            page.goto(f"{live_server.url}/instructor/courses/{course.slug}/")
            assert page.locator("li.lesson").count() == 15
            height = page.evaluate("document.body.scrollHeight")
            page.screenshot(path=str(tmp_path / "content-page.png"), full_page=True)
            assert height < CONTENT_PAGE_MAX_PX, f"{height} px; see {tmp_path}/content-page.png"
            # Every lesson row stays one line at this width.
            heights = page.eval_on_selector_all(
                "li.lesson", "rows => rows.map(row => row.getBoundingClientRect().height)"
            )
            assert max(heights) < 50, heights
        finally:
            browser.close()
