"""The course hub's pages of the courses app (issue 15): Content (modules and lessons,
reordering in one request), Settings (details, publishing, team), the kind-aware
add-lesson form and the lesson page. Who may see and do what, what the forms keep and
say on bad input, what the pages show (words, links to activities, the hub menu), and
the Content page's constant query count."""

import json
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from courses.models import Course, Lesson, Module
from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from lms.audit.models import AuditLog
from lms.testing import Cast, unchanged

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "student", "other_student", "owner", "instructor", "ta",
          "other_instructor", "admin"]  # fmt: skip
EDITORS = {"owner", "instructor", "admin"}
TEAM = {*EDITORS, "ta"}


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def base(course: Course) -> str:
    return f"/instructor/courses/{course.slug}/"


def add_url(course: Course, module: Module | None = None) -> str:
    module = module or course.modules.get()
    return f"{base(course)}modules/{module.pk}/lessons/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def order_json(course: Course, titles: list[tuple[str, list[str]]] | None = None) -> str:
    """The reorder form's `order`: by titles, or the current order."""
    if titles is None:
        modules = course.modules.order_by("position")
        return json.dumps(
            [{"id": m.pk, "lessons": [lesson.pk for lesson in m.lessons.order_by("position")]}
             for m in modules]
        )  # fmt: skip
    pk = dict(Module.objects.filter(course=course).values_list("title", "pk"))
    pk.update(Lesson.objects.filter(module__course=course).values_list("title", "pk"))
    return json.dumps([{"id": pk[m], "lessons": [pk[t] for t in ls]} for m, ls in titles])


def outline_titles(course: Course) -> list[tuple[str, list[str]]]:
    return [
        (m.title, list(m.lessons.order_by("position").values_list("title", flat=True)))
        for m in course.modules.order_by("position")
    ]


# --- who sees the pages ----------------------------------------------------------------------


def expected_get(actor: str, *, published: bool, edit: bool = False) -> int:
    if actor == "anonymous":
        return 302
    if actor in ("student", "other_student"):
        return 403  # not instructor-page users at all
    if actor == "other_instructor":
        return 403 if published else 404  # a draft is not disclosed
    if actor == "ta" and edit:
        return 403
    return 200


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("page", "edit"),
    [("content", False), ("settings", False), ("lesson", False), ("add_lesson", True)],
)
def test_the_hub_pages_by_role(team: Cast, make_course, actor, page, edit):
    for published in (False, True):
        course = make_course(published=published, enroll=("student",) if published else ())
        lesson = Lesson.objects.get(module__course=course)
        url = {
            "content": base(course),
            "settings": f"{base(course)}settings/",
            "lesson": f"{base(course)}lessons/{lesson.pk}/",
            "add_lesson": add_url(course),
        }[page]

        response = client_as(team.user(actor)).get(url)

        assert response.status_code == expected_get(actor, published=published, edit=edit), (
            published
        )
        if actor == "anonymous":
            assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("actor", ACTORS)
def test_the_hub_writes_by_role(team: Cast, make_course, actor):
    """Settings, reorder and add-lesson posts: editors only; the rest change nothing."""
    for published in (False, True):
        course = make_course(published=published, title="Original")
        ModuleFactory(course=course, title="Second")
        wanted = order_json(course, list(reversed(outline_titles(course))))
        client = client_as(team.user(actor))
        expected = 302 if actor in EDITORS or actor == "anonymous" else None
        if expected is None:
            expected = 404 if actor == "other_instructor" and not published else 403

        responses = [
            client.post(f"{base(course)}settings/", {"title": "Changed", "level": "all",
                        "language": "en", "price_amount": 0, "currency": "USD",
                        "passing_grade": 70, "video_complete_percent": 90}),
            client.post(f"{base(course)}outline/", {"order": wanted}),
            client.post(add_url(course, course.modules.get(title="Second")),
                        {"title": "Added", "kind": "text", "duration_minutes": 1}),
        ]  # fmt: skip

        assert [r.status_code for r in responses] == [expected] * 3, (published, responses)
        course.refresh_from_db()
        allowed = actor in EDITORS
        assert (course.title == "Changed") == allowed
        assert (course.modules.get(title="Second").position == 0) == allowed
        assert Lesson.objects.filter(module__course=course, title="Added").exists() == allowed


def test_every_hub_page_shows_the_course_menu_with_the_current_item(team: Cast, make_course):
    course = make_course()
    lesson = Lesson.objects.get(module__course=course)
    client = client_as(team.owner)
    pages = {
        base(course): "Content",
        f"{base(course)}settings/": "Settings",
        add_url(course): "Content",
        f"{base(course)}lessons/{lesson.pk}/": "Content",
    }

    for url, current in pages.items():
        html = client.get(url).content.decode()
        nav = re.search(r'<nav class="course-nav".*?</nav>', html, re.S).group(0)
        assert re.findall(r'aria-current="page">(\w+)</a>', nav) == [current], url
        for name, href in (("Quizzes", f"{base(course)}quizzes/"),
                           ("Assignments", f"{base(course)}assignments/"),
                           ("Gradebook", f"{base(course)}gradebook/"),
                           ("Learners", f"{base(course)}learners/")):  # fmt: skip
            assert f'href="{href}"' in nav, (url, name)


# --- the Content page --------------------------------------------------------------------------


def test_lesson_rows_show_words_requirement_and_their_activity(team: Cast, make_course, as_user):
    course = make_course(published=True)
    module = course.modules.get()
    LessonFactory(module=module, title="Watch", kind="video", video_url="https://v.example/1",
                  required_for_completion=False, duration_minutes=12)  # fmt: skip
    quiz_lesson = LessonFactory(module=module, title="Check", kind="quiz")
    work_lesson = LessonFactory(module=module, title="Essay", kind="assignment")
    api = as_user(team.owner)
    quiz = api.post(f"/api/v1/courses/{course.slug}/quizzes/",
                    {"title": "Check quiz", "lesson": quiz_lesson.pk}, format="json")  # fmt: skip
    assert quiz.status_code == 201, quiz.content

    html = client_as(team.owner).get(base(course)).content.decode()

    def row(title: str) -> str:
        return re.search(rf'<li class="lesson"[^>]*>(?:(?!</li>).)*{title}(?:(?!</li>).)*</li>',
                         html, re.S).group(0)  # fmt: skip

    watch = row("Watch")
    assert '<span class="kind kind-video">Video</span>' in watch
    assert "Optional" in watch and "12 min" in watch
    quiz_id = quiz.json()["data"]["id"]
    assert f'href="{base(course)}quizzes/{quiz_id}/"' in row("Check")
    assert "No assignment yet" in row("Essay")
    assert f'href="{base(course)}lessons/{work_lesson.pk}/#activity"' in row("Essay")
    assert "Required" in row("Essay")
    # Stored values never show as text of their own (class names carry them, not words).
    texts = {text.strip() for text in re.findall(r">([^<]+)<", html)}
    assert not texts & {"text", "video", "quiz", "assignment", "draft", "published", "ta"}


def test_my_courses_shows_role_words(team: Cast, make_course):
    make_course()

    html = client_as(team.ta).get("/instructor/").content.decode()

    assert "<td>Teaching assistant</td>" in html
    assert "<td>ta</td>" not in html


def test_the_content_page_runs_a_constant_number_of_queries(
    team: Cast, make_course, django_assert_num_queries, django_assert_max_num_queries
):
    course = make_course()
    module = course.modules.get()
    client = client_as(team.owner)
    client.get(base(course))  # warm the session

    cache.clear()  # the outline is cached: count the queries of a cold page, then a warm one
    with django_assert_max_num_queries(20) as cold:
        client.get(base(course))
    with django_assert_max_num_queries(20) as warm:
        client.get(base(course))
    assert len(warm.captured_queries) < len(cold.captured_queries)
    for n in range(20):
        kind = ("text", "video", "quiz", "assignment")[n % 4]
        LessonFactory(module=ModuleFactory(course=course) if n % 4 == 0 else module, kind=kind,
                      video_url="https://v.example/1" if kind == "video" else "")  # fmt: skip

    cache.clear()
    # The same, plus one query per activity kind present (quizzes, assignments).
    with django_assert_num_queries(len(cold.captured_queries) + 2):
        page = client.get(base(course))
    with django_assert_num_queries(len(warm.captured_queries)):
        client.get(base(course))
    assert page.content.count(b'class="lesson"') == 21


def test_a_course_without_modules_offers_to_add_one_and_no_reordering(team: Cast, make_course):
    course = make_course()
    course.modules.all().delete()

    html = client_as(team.owner).get(base(course)).content.decode()

    assert "No modules yet." in html
    assert "New module title" in html
    assert 'id="order-bar"' not in html
    assert "outline-reorder.js" not in html


# --- reordering ------------------------------------------------------------------------------


@pytest.fixture
def course_abc(team: Cast) -> Course:
    course = CourseFactory(owner=team.owner)
    for title, lessons in (("A", ["a1", "a2"]), ("B", ["b1"]), ("C", [])):
        module = ModuleFactory(course=course, title=title)
        for lesson in lessons:
            LessonFactory(module=module, title=lesson)
    return course


def test_the_whole_new_order_is_saved_in_one_post(team: Cast, course_abc: Course):
    wanted = [("C", ["a2"]), ("A", ["b1"]), ("B", ["a1"])]

    response = client_as(team.owner).post(
        f"{base(course_abc)}outline/", {"order": order_json(course_abc, wanted)}, follow=True
    )

    assert outline_titles(course_abc) == wanted
    assert "New order saved." in messages_of(response)
    assert response.redirect_chain == [(base(course_abc), 302)]
    assert AuditLog.objects.filter(action="course.outline_reordered").count() == 1
    assert b'<span class="module-number">Module 1</span>: C</h2>' in response.content


def test_a_stale_order_changes_nothing_and_says_why(team: Cast, course_abc: Course):
    read_earlier = order_json(course_abc, [("B", ["b1"]), ("A", ["a2", "a1"]), ("C", [])])
    LessonFactory(module=course_abc.modules.get(title="C"), title="c1")  # added meanwhile
    before = outline_titles(course_abc)

    response = client_as(team.owner).post(
        f"{base(course_abc)}outline/", {"order": read_earlier}, follow=True
    )

    assert outline_titles(course_abc) == before
    assert any("changed since this order was read" in m for m in messages_of(response))


@pytest.mark.parametrize(
    "order",
    ["", "not json", "{}", '[{"id": 1}]', '[{"id": "1", "lessons": []}]',
     '[{"id": 1, "lessons": [0]}]', '[{"id": 1, "lessons": [], "x": 1}]', "[1]"],
)  # fmt: skip
def test_an_unreadable_order_changes_nothing(team: Cast, course_abc: Course, order):
    before = outline_titles(course_abc)

    response = client_as(team.owner).post(
        f"{base(course_abc)}outline/", {"order": order}, follow=True
    )

    assert response.status_code == 200
    assert outline_titles(course_abc) == before
    assert any(m.startswith("Order:") for m in messages_of(response)), messages_of(response)


def test_the_same_order_says_nothing_changed(team: Cast, course_abc: Course):
    response = client_as(team.owner).post(
        f"{base(course_abc)}outline/", {"order": order_json(course_abc)}, follow=True
    )

    assert "The order did not change." in messages_of(response)
    assert not AuditLog.objects.filter(action="course.outline_reordered").exists()


def test_without_javascript_a_move_button_crosses_into_the_next_module(
    team: Cast, course_abc: Course
):
    client = client_as(team.owner)
    html = client.get(base(course_abc)).content.decode()
    a2 = Lesson.objects.get(title="a2")
    b = course_abc.modules.get(title="B")
    form = re.search(
        rf'<form method="post" action="{base(course_abc)}lessons/{a2.pk}/move/"[^>]*'
        rf'data-move="lesson-down">.*?</form>', html, re.S,
    ).group(0)  # fmt: skip
    fields = dict(re.findall(r'name="(position|module)" value="(\d+)"', form))
    assert fields == {"position": "0", "module": str(b.pk)}

    client.post(f"{base(course_abc)}lessons/{a2.pk}/move/", fields)

    assert outline_titles(course_abc) == [("A", ["a1"]), ("B", ["a2", "b1"]), ("C", [])]


def test_a_move_into_a_module_of_another_course_is_404(team: Cast, course_abc: Course):
    foreign = ModuleFactory(course=CourseFactory(owner=team.owner))
    a1 = Lesson.objects.get(title="a1")

    with unchanged(a1):
        response = client_as(team.owner).post(
            f"{base(course_abc)}lessons/{a1.pk}/move/", {"position": 0, "module": foreign.pk}
        )

    assert response.status_code == 404


# --- adding lessons ------------------------------------------------------------------------------


def pdf(name: str = "notes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 tiny", content_type="application/pdf")


VALID = {
    "text": ({"body": "Read *this*."}, {"body_html": "<p>Read <em>this</em>.</p>\n"}),
    "video": (
        {"video_url": "https://videos.example/1", "duration_minutes": "9"},
        {"video_url": "https://videos.example/1", "duration_minutes": 9},
    ),
    "file": ({"file": "upload"}, {}),
    "link": ({"link_url": "https://docs.example/"}, {"link_url": "https://docs.example/"}),
    "quiz": ({"body": "Ten questions."}, {}),
    "assignment": ({}, {}),
}


@pytest.mark.parametrize("kind", list(VALID))
def test_each_kind_of_lesson_is_added_with_what_it_needs(team: Cast, make_course, kind):
    course = make_course()
    fields, stored = VALID[kind]
    data = {"title": f"A {kind} lesson", "kind": kind, "required_for_completion": "on", **fields}
    if kind == "file":
        data["file"] = pdf()

    response = client_as(team.instructor).post(add_url(course), data)

    lesson = Lesson.objects.get(title=f"A {kind} lesson")
    assert response.status_code == 302
    assert (lesson.kind, lesson.position, lesson.required_for_completion) == (kind, 1, True)
    for name, value in stored.items():
        assert getattr(lesson, name) == value
    if kind == "file":
        assert lesson.file.name.startswith("courses/lessons/") and lesson.file.name.endswith(".pdf")
    if kind in ("quiz", "assignment"):  # on to where its activity is made
        assert response["Location"] == f"{base(course)}lessons/{lesson.pk}/#activity"
        page = client_as(team.instructor).get(response["Location"]).content.decode()
        target = "quizzes/" if kind == "quiz" else "assignments/new/"
        assert f'href="{base(course)}{target}?lesson={lesson.pk}"' in page
    else:
        assert response["Location"] == f"{base(course)}#lesson-{lesson.pk}"


INVALID = {
    "video without an address": ({"kind": "video"}, "video_url", "A video lesson needs this."),
    "video by ftp": (
        {"kind": "video", "video_url": "ftp://videos.example/1"},
        "video_url",
        "Use an http or https address.",
    ),
    "file without a file": ({"kind": "file"}, "file", "A file lesson needs this."),
    "file of a refused type": (
        {"kind": "file", "file": "exe"},
        "file",
        "This type of file is not accepted.",
    ),
    "link without an address": ({"kind": "link"}, "link_url", "A link lesson needs this."),
    "link that is no address": (
        {"kind": "link", "link_url": "not a url"},
        "link_url",
        "Enter a valid URL.",
    ),
    "no title": ({"kind": "text", "title": ""}, "title", "This field is required."),
    "negative duration": (
        {"kind": "text", "duration_minutes": "-3"},
        "duration_minutes",
        "Ensure this value is greater than or equal to 0.",
    ),
    "unknown kind": ({"kind": "podcast"}, "kind", "Select a valid choice."),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_lessons_come_back_with_the_reason_and_what_was_typed(
    team: Cast, make_course, case
):
    course = make_course()
    data, field, message = INVALID[case]
    posted = {"title": "Typed title", "body": "Typed *notes*", "duration_minutes": "4", **data}
    if posted.get("file") == "exe":
        posted["file"] = SimpleUploadedFile("run.exe", b"MZ")

    with unchanged(course, counts=(Lesson,)):
        response = client_as(team.owner).post(add_url(course), posted)

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    html = response.content.decode()
    if posted["title"]:
        assert 'value="Typed title"' in html
    assert "Typed *notes*</textarea>" in html
    assert 'value="4"' in html or field == "duration_minutes"
    assert message.replace("'", "&#x27;") in html


def test_the_form_starts_from_the_quick_add_row(team: Cast, make_course):
    course = make_course()
    client = client_as(team.owner)

    video = client.get(add_url(course), {"title": "Intro video", "kind": "video"})
    junk = client.get(add_url(course), {"kind": "podcast"})

    assert video.context["form"]["title"].value() == "Intro video"
    assert video.context["form"]["kind"].value() == "video"
    assert junk.context["form"]["kind"].value() == "text"


def test_without_javascript_every_field_shows_and_says_which_kind_uses_it(team, make_course):
    course = make_course()

    html = client_as(team.owner).get(add_url(course)).content.decode()

    for field, kind, label in (("video_url", "video", "Video address (video lessons)"),
                               ("file", "file", "File (file lessons)"),
                               ("link_url", "link", "Web address (link lessons)")):  # fmt: skip
        assert f'<div class="field field-{field}" data-kinds="{kind}">' in html
        assert label in html
    assert 'enctype="multipart/form-data"' in html
    assert '<script src="/static/js/lesson-kind-fields.js" defer></script>' in html
    assert re.search(r'<div class="field field-body">', html)  # every kind: no data-kinds


def test_a_lesson_of_another_course_or_module_is_404(team: Cast, make_course):
    course = make_course()
    foreign = ModuleFactory(course=CourseFactory(owner=team.owner))

    response = client_as(team.owner).post(
        f"{base(course)}modules/{foreign.pk}/lessons/", {"title": "X", "kind": "text"}
    )

    assert response.status_code == 404
    assert not Lesson.objects.filter(title="X").exists()


# --- editing a lesson --------------------------------------------------------------------------


def test_a_file_lesson_keeps_its_file_when_saved_without_a_new_one(team: Cast, make_course):
    course = make_course()
    client = client_as(team.owner)
    client.post(add_url(course), {"title": "Slides", "kind": "file", "file": pdf(),
                                  "duration_minutes": 0})  # fmt: skip
    lesson = Lesson.objects.get(title="Slides")
    stored = lesson.file.name

    response = client.post(
        f"{base(course)}lessons/{lesson.pk}/",
        {"title": "Slides, v2", "kind": "file", "duration_minutes": 5},
    )

    assert response.status_code == 302, response.context["form"].errors
    lesson.refresh_from_db()
    assert (lesson.title, lesson.file.name) == ("Slides, v2", stored)


def test_an_attached_assignment_is_linked_from_its_lesson(team: Cast, make_course, as_user):
    course = make_course(published=True)
    lesson = LessonFactory(module=course.modules.get(), title="Essay", kind="assignment")
    made = as_user(team.owner).post(
        f"/api/v1/courses/{course.slug}/assignments/", {"title": "Essay", "lesson": lesson.pk}
    )
    assert made.status_code == 201, made.content

    html = client_as(team.ta).get(f"{base(course)}lessons/{lesson.pk}/").content.decode()

    assert f'href="/instructor/assignments/{made.json()["data"]["id"]}/edit/"' in html
    assert "No assignment is attached yet" not in html


# --- settings ----------------------------------------------------------------------------------


def settings_data(client: Client, course: Course) -> dict:
    form = client.get(f"{base(course)}settings/").context["details_form"]
    values = {name: form[name].value() for name in form.fields}
    return {name: "" if value is None else value for name, value in values.items()} | {"tags": []}


def test_settings_save_price_window_and_completion_rules(team: Cast, make_course):
    course = make_course()
    client = client_as(team.owner)
    data = settings_data(client, course)

    saved = client.post(f"{base(course)}settings/", {
        **data, "price_amount": 2500, "currency": "EUR", "enrollment_opens_at": "2030-01-01T09:00",
        "enrollment_closes_at": "2030-02-01T09:00", "passing_grade": 60,
        "video_complete_percent": 75,
    }, follow=True)  # fmt: skip

    course.refresh_from_db()
    assert "Settings saved." in messages_of(saved)
    assert (course.price_amount, course.currency, course.passing_grade) == (2500, "EUR", 60)
    assert course.video_complete_percent == 75
    assert course.enrollment_opens_at.isoformat().startswith("2030-01-01")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"video_complete_percent": 0}, "video_complete_percent", "greater than or equal to 1"),
        ({"passing_grade": 101}, "passing_grade", "less than or equal to 100"),
        ({"enrollment_opens_at": "2030-02-01T09:00", "enrollment_closes_at": "2030-01-01T09:00"},
         "enrollment_closes_at", "Enrollment cannot close before it opens."),
        ({"currency": "EU1"}, "currency", "ISO 4217"),
    ],
)  # fmt: skip
def test_settings_refuse_bad_values_and_keep_what_was_typed(
    team: Cast, make_course, change, field, message
):
    course = make_course()
    client = client_as(team.owner)
    data = settings_data(client, course) | {"title": "Typed title"}

    with unchanged(course):
        refused = client.post(f"{base(course)}settings/", {**data, **change})

    assert refused.status_code == 400
    errors = refused.context["details_form"].errors
    assert any(message in text for text in errors.get(field, [])), errors
    assert 'value="Typed title"' in refused.content.decode()
