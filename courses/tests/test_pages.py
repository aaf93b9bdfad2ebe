"""The instructor pages under /instructor/: who may see and do what, escaping of what
course teams type, and the authoring flow through the forms (Django's test client)."""

import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from accounts.tests.factories import InstructorFactory, UserFactory
from courses.models import Course, CourseStaff, Lesson, Module
from courses.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from lms.testing import Cast, unchanged

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
MY_COURSES = "/instructor/"
NEW_COURSE = "/instructor/courses/new/"
ACTORS = ["anonymous", "student", "owner", "instructor", "ta", "other_instructor", "admin"]
EDITORS = {"owner", "instructor", "admin"}


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def editor(course: Course) -> str:
    """The course's Content page (URL name courses:editor)."""
    return f"/instructor/courses/{course.slug}/"


def settings_page(course: Course) -> str:
    return f"/instructor/courses/{course.slug}/settings/"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- role matrix ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", 302),
        ("student", 403),
        ("owner", 200),
        ("instructor", 200),
        ("ta", 200),  # a student by platform role, but on a team
        ("other_instructor", 200),  # may create courses
        ("admin", 200),
    ],
)
def test_my_courses_by_role(team: Cast, make_course, actor, expected):
    course = make_course()

    response = client_as(team.user(actor)).get(MY_COURSES)

    assert response.status_code == expected
    if actor == "anonymous":
        assert response["Location"].startswith(f"{LOGIN}?next=")
    if actor in {"owner", "instructor", "ta"}:
        assert course.title.encode() in response.content
    if actor == "other_instructor":
        assert course.title.encode() not in response.content


def test_my_courses_shows_status_learners_and_only_my_teams(team: Cast, make_course):
    mine = make_course(published=True, enrollment_count=7)
    other = CourseFactory(owner=team.other_instructor)

    response = client_as(team.owner).get(MY_COURSES)

    rows = response.content.decode()
    assert mine.title in rows
    assert other.title not in rows
    assert "Published" in rows
    assert re.search(r"<td>\s*7\s*</td>", rows)


@pytest.mark.parametrize(
    ("actor", "draft", "published"),
    [
        ("anonymous", 302, 302),
        ("student", 403, 403),
        ("owner", 200, 200),
        ("instructor", 200, 200),
        ("ta", 200, 200),
        ("other_instructor", 404, 403),  # a draft is not disclosed; a public course is
        ("admin", 200, 200),
    ],
)
def test_editor_page_by_role(team: Cast, make_course, actor, draft, published):
    client = client_as(team.user(actor))

    assert client.get(editor(make_course())).status_code == draft
    assert client.get(editor(make_course(published=True))).status_code == published


@pytest.mark.parametrize("actor", ACTORS)
def test_adding_a_module_by_role(team: Cast, make_course, actor):
    course = make_course()
    expected = {"anonymous": 302, "student": 403, "ta": 403, "other_instructor": 404}.get(
        actor, 302
    )

    response = client_as(team.user(actor)).post(f"{editor(course)}modules/", {"title": "New"})

    assert response.status_code == expected
    created = Module.objects.filter(course=course, title="New").exists()
    assert created == (actor in EDITORS)
    if actor in EDITORS:
        assert response["Location"].startswith(editor(course))


@pytest.mark.parametrize("actor", ["ta", "student", "other_instructor"])
def test_no_structure_or_detail_change_without_edit_rights(team: Cast, make_course, actor):
    course = make_course(published=True)
    module = course.modules.get()
    lesson = Lesson.objects.get(module=module)
    LessonFactory(module=module, title="Second")
    client = client_as(team.user(actor))
    base = editor(course)
    before = list(Lesson.objects.order_by("pk").values_list("pk", "module_id", "position"))

    posts = [
        (settings_page(course), {"title": "Changed"}),
        (f"{base}outline/", {"order": f'[{{"id": {module.pk}, "lessons": []}}]'}),
        (f"{base}modules/{module.pk}/", {"title": "Changed"}),
        (f"{base}modules/{module.pk}/move/", {"position": 0}),
        (f"{base}modules/{module.pk}/delete/", {}),
        (f"{base}modules/{module.pk}/lessons/", {"title": "Changed", "kind": "text"}),
        (f"{base}lessons/{lesson.pk}/", {"title": "Changed", "kind": "text"}),
        (f"{base}lessons/{lesson.pk}/move/", {"position": 1}),
        (f"{base}lessons/{lesson.pk}/delete/", {}),
        (f"{base}archive/", {}),
        (f"{base}staff/", {"email": team.student.email, "role": "ta"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url

    course.refresh_from_db()
    assert course.title != "Changed"
    assert course.status == Course.Status.PUBLISHED
    assert list(Lesson.objects.order_by("pk").values_list("pk", "module_id", "position")) == before
    assert not Module.objects.filter(title="Changed").exists()
    assert CourseStaff.objects.filter(course=course).count() == 3


def test_the_ta_sees_read_only_content_settings_and_lesson(team: Cast, make_course):
    course = make_course()
    lesson = Lesson.objects.get(module__course=course)
    client = client_as(team.ta)

    page = client.get(editor(course)).content.decode()
    settings = client.get(settings_page(course)).content.decode()
    lesson_page = client.get(f"{editor(course)}lessons/{lesson.pk}/")

    assert "Read-only" in page
    assert "Read-only" in settings
    assert lesson.title in page
    for control in ("Add module", "Add lesson", "Move lesson", "Save order", "handle"):
        assert control not in page
    for control in ("Save settings", "Publish course", "Add to team"):
        assert control not in settings
    assert 'action="/instructor/' not in page + settings  # no form of the hub at all
    assert team.owner.email in settings  # the team is visible to TAs
    assert lesson_page.status_code == 200
    assert b"Save lesson" not in lesson_page.content


def test_the_co_instructor_edits_but_does_not_manage_the_team(team: Cast, make_course):
    course = make_course()
    client = client_as(team.instructor)

    page = client.get(editor(course)).content.decode()
    settings = client.get(settings_page(course)).content.decode()
    response = client.post(
        f"{editor(course)}staff/", {"email": team.other_instructor.email, "role": "ta"}
    )

    assert "Add module" in page
    assert "Save settings" in settings
    assert "Add to team" not in settings
    assert response.status_code == 403
    assert not CourseStaff.objects.filter(course=course, user=team.other_instructor).exists()


def test_another_instructors_lesson_urls_of_a_draft_are_404(team: Cast, make_course):
    course = make_course()
    lesson = Lesson.objects.get(module__course=course)

    response = client_as(team.other_instructor).get(f"{editor(course)}lessons/{lesson.pk}/")

    assert response.status_code == 404


def test_a_module_of_another_course_is_404_even_for_an_editor(team: Cast, make_course):
    course = make_course()
    foreign = ModuleFactory(course=CourseFactory(owner=True))

    response = client_as(team.owner).post(
        f"{editor(course)}modules/{foreign.pk}/delete/", follow=False
    )

    assert response.status_code == 404
    assert Module.objects.filter(pk=foreign.pk).exists()


def test_a_student_cannot_create_courses_and_an_instructor_can_open_the_form():
    assert client_as(UserFactory()).get(NEW_COURSE).status_code == 403
    assert client_as(InstructorFactory()).get(NEW_COURSE).status_code == 200


def test_a_ta_who_is_a_student_may_not_create_courses(team: Cast, make_course):
    make_course()

    response = client_as(team.ta).post(NEW_COURSE, {"title": "Sneaky", "level": "all"})

    assert response.status_code == 403
    assert not Course.objects.filter(title="Sneaky").exists()


def test_forms_carry_a_csrf_token_and_posts_without_it_are_refused(team: Cast, make_course):
    course = make_course()
    client = Client(enforce_csrf_checks=True)
    client.force_login(team.owner)

    page = client.get(editor(course))
    refused = client.post(f"{editor(course)}modules/", {"title": "No token"})

    assert b'name="csrfmiddlewaretoken"' in page.content
    assert refused.status_code == 403
    assert not Module.objects.filter(title="No token").exists()


# --- escaping -------------------------------------------------------------------------------

SCRIPT = "<script>alert('xss')</script>"
IMG = '<img src=x onerror="alert(1)">'


class ActiveMarkup(HTMLParser):
    """Collects what a browser would run or load from a page: script elements, event
    handler attributes, javascript: URLs, and images (the payloads use one)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # The pages' own scripts are external files under /static/, never inline.
        own_script = tag == "script" and (dict(attrs).get("src") or "").startswith("/static/")
        if tag in ("script", "img", "iframe") and not own_script:
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag}[{name}={value}]")


def assert_no_active_markup(html: str) -> None:
    parser = ActiveMarkup()
    parser.feed(html)
    assert parser.found == []


def test_markup_typed_into_the_forms_is_stripped_or_escaped(team: Cast):
    client = client_as(team.owner)
    response = client.post(
        NEW_COURSE,
        {
            "title": f"{SCRIPT}Intro",
            "subtitle": IMG,
            "description": f"{IMG}\n\n[click](javascript:alert(1))\n\n</textarea>{SCRIPT}",
            "level": "all",
            "language": "en",
        },
    )
    course = Course.objects.get()
    assert response["Location"] == editor(course)
    module_response = client.post(f"{editor(course)}modules/", {"title": f"{SCRIPT}Week 1"})
    assert module_response.status_code == 302
    module = course.modules.get()
    client.post(
        f"{editor(course)}modules/{module.pk}/lessons/", {"title": f"{IMG}Lesson", "kind": "text"}
    )
    client.post(settings_page(course), {"title": "Intro", "description": f"</textarea>{SCRIPT}",
                                         "level": "all", "language": "en", "price_amount": 0,
                                         "currency": "USD", "passing_grade": 70})  # fmt: skip
    lesson = Lesson.objects.get(module=module)
    client.post(
        f"{editor(course)}lessons/{lesson.pk}/",
        {"title": "Safe", "kind": "text", "body": f"{SCRIPT}\n\n{IMG}", "duration_minutes": 5},
    )

    page = client.get(editor(course)).content.decode()
    settings = client.get(settings_page(course)).content.decode()
    lesson_page = client.get(f"{editor(course)}lessons/{lesson.pk}/").content.decode()
    adding = client.get(f"{editor(course)}modules/{module.pk}/lessons/?title={SCRIPT}").content
    listing = client.get(MY_COURSES).content.decode()

    for html in (page, settings, lesson_page, adding.decode(), listing):
        assert_no_active_markup(html)
    assert course.title == "Intro"  # tags and script content stripped from titles
    assert "<strong>Intro</strong>" in page  # the course hub's menu names the course
    assert "&lt;/textarea&gt;&lt;script&gt;" in settings  # the Markdown source, escaped
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in lesson_page


def test_stored_markup_is_escaped_by_the_templates_too(team: Cast, make_course):
    # Rows written directly (as an old import or a bug in a service might): the templates
    # must still escape every single-line field.
    course = make_course(title=SCRIPT, subtitle=IMG)
    module = ModuleFactory(course=course, title=SCRIPT)
    LessonFactory(module=module, title=IMG)
    client = client_as(team.owner)

    for url in (MY_COURSES, editor(course), settings_page(course),
                f"{editor(course)}modules/{module.pk}/lessons/"):  # fmt: skip
        html = client.get(url).content.decode()
        assert_no_active_markup(html)
        assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html


# --- authoring through the forms ------------------------------------------------------------


def lesson_titles(course: Course) -> list[str]:
    return list(
        Lesson.objects.filter(module__course=course)
        .order_by("module__position", "position")
        .values_list("title", flat=True)
    )


def test_create_a_course_add_structure_reorder_and_publish(team: Cast):
    client = client_as(team.owner)

    created = client.post(
        NEW_COURSE,
        {"title": "Django for teams", "description": "Learn **Django**.", "level": "beginner",
         "language": "en"},
    )  # fmt: skip
    course = Course.objects.get(title="Django for teams")
    assert created["Location"] == editor(course)
    assert CourseStaff.objects.get(course=course).user == team.owner
    assert b"1 thing to do before publishing" in client.get(editor(course)).content
    page = client.get(settings_page(course))
    assert b"Add at least one module to publish." in page.content
    assert re.search(rb"<button type=\"submit\" disabled>Publish course", page.content)

    client.post(f"{editor(course)}modules/", {"title": "Basics"})
    client.post(f"{editor(course)}modules/", {"title": "Advanced"})
    basics, advanced = course.modules.order_by("position")
    for title in ("Models", "Views"):
        client.post(
            f"{editor(course)}modules/{basics.pk}/lessons/", {"title": title, "kind": "text"}
        )
    views = Lesson.objects.get(title="Views")
    assert lesson_titles(course) == ["Models", "Views"]

    client.post(f"{editor(course)}lessons/{views.pk}/move/", {"position": 0})
    client.post(f"{editor(course)}modules/{advanced.pk}/move/", {"position": 0})
    assert lesson_titles(course) == ["Views", "Models"]
    assert list(course.modules.order_by("position").values_list("title", flat=True)) == [
        "Advanced",
        "Basics",
    ]

    published = client.post(f"{editor(course)}publish/", follow=True)

    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED
    assert "Published: the course is in the catalogue." in messages_of(published)
    assert b"Archive course" in published.content
    assert [c["slug"] for c in Client().get("/api/v1/courses/").json()["data"]] == [course.slug]


def test_publishing_an_incomplete_course_is_refused_with_the_reasons(team: Cast, make_course):
    course = make_course(description="", lessons=0)  # one module, no lesson

    with unchanged(course):
        response = client_as(team.owner).post(f"{editor(course)}publish/", follow=True)

    shown = messages_of(response)
    assert "Description: A description is required to publish." in shown
    assert "Modules: Add at least one lesson to a module to publish." in shown


def test_archive_then_publish_again(team: Cast, make_course):
    course = make_course(published=True)
    client = client_as(team.instructor)

    archived = client.post(f"{editor(course)}archive/")
    course.refresh_from_db()
    assert course.status == Course.Status.ARCHIVED
    assert archived["Location"] == settings_page(course)
    assert b"Publish again" in client.get(settings_page(course)).content

    client.post(f"{editor(course)}publish/")
    course.refresh_from_db()
    assert course.status == Course.Status.PUBLISHED


def test_moving_out_of_range_is_refused_with_a_message(team: Cast, make_course):
    course = make_course()
    lesson = Lesson.objects.get(module__course=course)

    response = client_as(team.owner).post(
        f"{editor(course)}lessons/{lesson.pk}/move/", {"position": 5}, follow=True
    )

    assert any("between 0 and 0" in m for m in messages_of(response))
    lesson.refresh_from_db()
    assert lesson.position == 0


def test_the_last_lesson_of_a_published_course_cannot_be_deleted(team: Cast, make_course):
    course = make_course(published=True)
    lesson = Lesson.objects.get(module__course=course)

    with unchanged(course, lesson, counts=(Module, Lesson)):
        response = client_as(team.owner).post(
            f"{editor(course)}lessons/{lesson.pk}/delete/", follow=True
        )

    assert any("at least one lesson" in m for m in messages_of(response))


def test_deleting_and_renaming_structure(team: Cast, make_course):
    course = make_course()
    module = course.modules.get()
    extra = LessonFactory(module=module, title="Extra")
    client = client_as(team.owner)

    client.post(f"{editor(course)}modules/{module.pk}/", {"title": "Renamed <b>week</b>"})
    client.post(f"{editor(course)}lessons/{extra.pk}/delete/")

    module.refresh_from_db()
    assert module.title == "Renamed week"
    assert not Lesson.objects.filter(pk=extra.pk).exists()
    client.post(f"{editor(course)}modules/{module.pk}/delete/")
    assert not Module.objects.filter(pk=module.pk).exists()


def test_saving_details_changes_only_what_changed_and_shows_service_errors(team: Cast, make_course):
    course = make_course()
    client = client_as(team.owner)
    form = client.get(settings_page(course)).context["details_form"]
    values = {name: form[name].value() for name in form.fields}
    data = {name: "" if value is None else value for name, value in values.items()}
    data["tags"] = []

    saved = client.post(
        settings_page(course),
        {**data, "title": "New title", "description": "# Hello", "passing_grade": 80},
    )
    course.refresh_from_db()
    assert saved.status_code == 302, saved.context["details_form"].errors
    assert (course.title, course.passing_grade) == ("New title", 80)
    assert course.description_html == "<h1>Hello</h1>\n"

    refused = client.post(
        settings_page(course),
        {**data, "starts_at": "2026-05-02T10:00", "ends_at": "2026-05-01T10:00"},
    )
    assert refused.status_code == 400
    assert "The course cannot end before it starts." in refused.context["details_form"].errors.get(
        "ends_at", []
    )
    course.refresh_from_db()
    assert course.ends_at is None


def test_editing_a_lesson_changes_kind_and_renders_the_body(team: Cast, make_course):
    course = make_course()
    lesson = Lesson.objects.get(module__course=course)
    client = client_as(team.instructor)
    url = f"{editor(course)}lessons/{lesson.pk}/"

    missing = client.post(url, {"title": "Watch", "kind": "video", "duration_minutes": 3})
    assert missing.status_code == 400
    assert missing.context["form"].errors["video_url"] == ["A video lesson needs this."]

    saved = client.post(
        url,
        {"title": "Watch", "kind": "video", "video_url": "https://video.example/1",
         "body": "Notes *here*", "duration_minutes": 3, "is_preview": "on"},
    )  # fmt: skip

    assert saved.status_code == 302
    lesson.refresh_from_db()
    assert (lesson.kind, lesson.video_url, lesson.is_preview) == (
        "video",
        "https://video.example/1",
        True,
    )
    assert b"<em>here</em>" in client.get(url).content


def test_team_add_and_remove_by_email(team: Cast, make_course):
    course = make_course()
    newcomer = UserFactory(email="new.ta@example.test")
    client = client_as(team.owner)

    added = client.post(f"{editor(course)}staff/", {"email": "NEW.TA@example.test", "role": "ta"})
    member = CourseStaff.objects.get(course=course, user=newcomer)
    assert added.status_code == 302
    assert member.role == CourseStaff.Role.TA

    refused = client.post(
        f"{editor(course)}staff/", {"email": newcomer.email, "role": "ta"}, follow=True
    )
    assert any("already on the course team" in m for m in messages_of(refused))

    client.post(f"{editor(course)}staff/{member.pk}/remove/")
    assert not CourseStaff.objects.filter(pk=member.pk).exists()

    owner_member = CourseStaff.objects.get(course=course, user=team.owner)
    with unchanged(owner_member, counts=(CourseStaff,)):
        last = client_as(team.admin).post(
            f"{editor(course)}staff/{owner_member.pk}/remove/", follow=True
        )
    assert "A course needs at least one owner." in messages_of(last)


def test_the_editor_page_runs_a_bounded_number_of_queries(
    team: Cast, make_course, django_assert_max_num_queries
):
    course = make_course()
    module = course.modules.get()
    client = client_as(team.owner)
    client.get(editor(course))  # warm the session

    cache.clear()  # the outline is cached: count the queries of a cold page
    with django_assert_max_num_queries(30) as small:
        client.get(editor(course))
    for n in range(20):
        LessonFactory(module=ModuleFactory(course=course) if n % 4 == 0 else module)
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(editor(course))
    assert page.content.count(b'class="lesson"') == 21
