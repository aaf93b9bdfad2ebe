"""The learner portal's pages (enrollments.portal_views), with Django's test client and
session logins: a course's page and its actions, enroll, My learning, the lesson player
and mark complete. Who may see what (the cast of lms.testing), the same rules as the API
(course_get_visible, can_access_lesson, the one join rule), refusals shown as messages and
changing nothing, safe Markdown, and a constant number of queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from courses.models import Course, Lesson, Module
from courses.services import course_update, lesson_create, lesson_update
from enrollments.models import Enrollment, LessonCompletion
from enrollments.permissions import can_access_lesson
from enrollments.services import (
    enrollment_create,
    enrollment_drop,
    enrollment_revoke,
    lesson_complete,
    lesson_progress_record,
)
from lms.testing import Cast, course_lessons, make_course, unchanged

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ROLES = ["anonymous", "student", "other_student", "instructor", "other_instructor", "admin"]


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def course_url(course: Course) -> str:
    return f"/courses/{course.slug}/"


def lesson_url(lesson: Lesson) -> str:
    return f"/learn/courses/{lesson.module.course.slug}/lessons/{lesson.pk}/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def follow(client: Client, url: str, data=None):
    """POST, then the page it redirects to."""
    return client.post(url, data or {}, follow=True)


def add_lesson(course: Course, title: str, kind: str = "text", **fields) -> Lesson:
    """A lesson through the service (its Markdown rendered as the services render it)."""
    module = Module.objects.filter(course=course).order_by("position").first()
    return lesson_create(module=module, title=title, kind=kind, **fields)


@pytest.fixture
def course(cast: Cast) -> Course:
    """Published, free, two text lessons; the cast's team; `student` enrolled."""
    return make_course(cast, enroll=("student",))


# --- the course page: who sees it, and what it offers ------------------------------------


EXPECTED_ACTIONS = {
    "anonymous": "sign_in",
    "student": "continue",
    "other_student": "enroll",
    "instructor": "teach",
    "other_instructor": "enroll",  # an instructor elsewhere may learn here
    "admin": "teach",
}


@pytest.mark.parametrize("role", ROLES)
def test_the_course_page_by_role(cast: Cast, course: Course, role: str):
    response = client_as(cast.user(role)).get(course_url(course))
    assert response.status_code == 200
    assert response.context["action"].kind == EXPECTED_ACTIONS[role]
    page = response.content.decode()
    assert f"<h1>{course.title}</h1>" in page
    for lesson in course_lessons(course):
        assert lesson.title in page  # the outline is public


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 404),
        ("student", 404),
        ("other_student", 404),
        ("other_instructor", 404),
        ("owner", 200),
        ("instructor", 200),
        ("ta", 200),
        ("admin", 200),
    ],
)
def test_a_draft_is_404_to_everyone_outside_its_team(cast: Cast, role: str, status: int):
    draft = make_course(cast, published=False)
    assert client_as(cast.user(role)).get(course_url(draft)).status_code == status
    assert Client().get("/courses/no-such-course/").status_code == 404


def test_the_outline_links_the_lessons_the_viewer_may_open(cast: Cast, course: Course):
    first, second = course_lessons(course)
    Lesson.objects.filter(pk=first.pk).update(is_preview=True)
    later = add_lesson(course, "Next week", release_at=timezone.now() + timedelta(days=7))

    def linked(role: str) -> set[int]:
        outline = client_as(cast.user(role)).get(course_url(course)).context["outline"]
        return {lesson["id"] for lesson in outline["lessons"] if lesson["open"]}

    assert linked("anonymous") == {first.pk}  # previews only
    assert linked("other_student") == {first.pk}
    assert linked("student") == {first.pk, second.pk}  # not the unreleased one
    assert linked("instructor") == {first.pk, second.pk, later.pk}
    page = client_as(cast.student).get(course_url(course)).content.decode()
    assert f'href="/learn/courses/{course.slug}/lessons/{later.pk}/"' not in page
    assert "Opens " in page  # the lock's reason, in words


def test_the_description_is_safe_markdown(cast: Cast, course: Course):
    course_update(
        course=course,
        by=cast.owner,
        description="**Bold** <script>alert('x')</script> [bad](javascript:alert(1))",
    )
    page = Client().get(course_url(course)).content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert" not in page
    assert not re.search(r"href=\"javascript:", page)  # left as text, never a link


def test_the_learner_sees_progress_and_the_next_lesson(cast: Cast, course: Course):
    first, second = course_lessons(course)
    enrollment = Enrollment.objects.get(user=cast.student, course=course)
    lesson_complete(enrollment=enrollment, lesson=first)

    response = client_as(cast.student).get(course_url(course))

    page = response.content.decode()
    assert re.search(r'<progress max="100" value="50"', page)
    assert f'href="{lesson_url(second)}">Continue: {second.title}</a>' in page
    assert f'href="/learn/courses/{course.slug}/assignments/"' in page
    assert f'href="/learn/courses/{course.slug}/grades/"' in page
    lesson_complete(enrollment=enrollment, lesson=second)
    done = client_as(cast.student).get(course_url(course))
    assert done.context["action"].kind == "review"
    assert "You completed this course" in done.content.decode()


def test_a_full_free_course_offers_the_waitlist(cast: Cast):
    full = make_course(cast, capacity=1, enroll=("student",))
    response = client_as(cast.other_student).get(course_url(full))
    assert response.context["action"].kind == "waitlist"
    assert "Join the waitlist" in response.content.decode()

    joined = follow(client_as(cast.other_student), f"/courses/{full.slug}/enroll/")

    enrollment = Enrollment.objects.get(user=cast.other_student, course=full)
    assert enrollment.status == "waitlisted"
    assert any("waitlist" in text for text in messages_of(joined))
    assert joined.context["action"].kind == "waitlisted"
    assert "You are on the waitlist" in joined.content.decode()


def test_a_paid_course_offers_to_buy_and_a_full_one_does_not(cast: Cast):
    paid = make_course(cast, price_amount=4900, currency="USD")
    response = client_as(cast.other_student).get(course_url(paid))
    assert response.context["action"].kind == "buy"
    page = response.content.decode()
    assert f'action="/courses/{paid.slug}/buy/"' in page
    assert "Buy for 49.00 USD" in page
    assert "Sign in to buy" in Client().get(course_url(paid)).content.decode()

    full = make_course(cast, price_amount=4900, capacity=1)
    enrollment_create(user=cast.student, course=full, source="staff")
    response = client_as(cast.other_student).get(course_url(full))
    assert response.context["action"].kind == "full"
    assert "This course is full." in response.content.decode()


def test_closed_archived_and_revoked_say_why(cast: Cast, course: Course):
    closed = make_course(cast, enrollment_closes_at=timezone.now() - timedelta(days=1))
    response = client_as(cast.other_student).get(course_url(closed))
    assert response.context["action"].kind == "closed"
    assert "Enrollment for this course is closed." in response.content.decode()
    assert Client().get(course_url(closed)).context["action"].kind == "closed"

    Course.objects.filter(pk=course.pk).update(status="archived")
    archived = client_as(cast.other_student).get(course_url(course))
    assert archived.context["action"].kind == "closed"
    assert "This course is archived." in archived.content.decode()
    kept = client_as(cast.student).get(course_url(course))  # learners keep their access
    assert kept.context["action"].kind == "continue"

    other = make_course(cast, enroll=("student",))
    enrollment_revoke(enrollment=Enrollment.objects.get(user=cast.student, course=other), by=None)
    revoked = client_as(cast.student).get(course_url(other))
    assert revoked.context["action"].kind == "revoked"
    assert "revoked" in revoked.content.decode()


def test_a_learner_who_dropped_may_enroll_again(cast: Cast, course: Course):
    enrollment_drop(enrollment=Enrollment.objects.get(user=cast.student, course=course))
    response = client_as(cast.student).get(course_url(course))
    assert response.context["action"].kind == "enroll"


# --- enroll -------------------------------------------------------------------------------


def test_enroll_joins_through_the_service(cast: Cast, course: Course):
    response = follow(client_as(cast.other_student), f"/courses/{course.slug}/enroll/")

    assert response.redirect_chain == [(course_url(course), 302)]
    enrollment = Enrollment.objects.get(user=cast.other_student, course=course)
    assert enrollment.status == "active" and enrollment.source == "self"
    assert enrollment.required_total == 2  # the service's rollup
    assert messages_of(response) == [f"You are enrolled in {course.title}."]
    assert response.context["action"].kind == "continue"


def test_enroll_refusals_are_messages_and_change_nothing(cast: Cast, course: Course):
    paid = make_course(cast, price_amount=4900)
    closed = make_course(cast, enrollment_closes_at=timezone.now() - timedelta(days=1))
    client = client_as(cast.other_student)
    cases = [
        (paid, "This course is paid: check out first."),
        (closed, "Enrollment for this course is closed."),
    ]
    for target, message in cases:
        with unchanged(target, counts=(Enrollment,)):
            response = follow(client, f"/courses/{target.slug}/enroll/")
        assert response.status_code == 200
        assert messages_of(response) == [message]
    with unchanged(course, counts=(Enrollment,)):
        again = follow(client_as(cast.student), f"/courses/{course.slug}/enroll/")
    assert messages_of(again) == ["Already enrolled in this course."]


def test_enroll_needs_a_login_a_post_and_a_visible_course(cast: Cast, course: Course):
    url = f"/courses/{course.slug}/enroll/"
    with unchanged(course, counts=(Enrollment,)):
        anonymous = Client().post(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"] == f"{LOGIN}?next={url}"
        assert client_as(cast.other_student).get(url).status_code == 405
    draft = make_course(cast, published=False)
    assert client_as(cast.other_student).post(f"/courses/{draft.slug}/enroll/").status_code == 404


# --- My learning --------------------------------------------------------------------------


def test_my_learning_needs_a_login():
    response = Client().get("/learn/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/learn/"


@pytest.mark.parametrize("role", ["instructor", "other_instructor", "admin", "other_student"])
def test_my_learning_of_someone_with_no_enrollment(cast: Cast, course: Course, role: str):
    response = client_as(cast.user(role)).get("/learn/")
    assert response.status_code == 200
    assert response.context["sections"] == []
    page = response.content.decode()
    assert "You are not enrolled in any course yet." in page
    assert course.title not in page  # not the student's course


def test_my_learning_lists_active_waitlisted_and_completed(cast: Cast, course: Course):
    first, second = course_lessons(course)
    enrollment = Enrollment.objects.get(user=cast.student, course=course)
    lesson_complete(enrollment=enrollment, lesson=first)
    done = make_course(cast, lessons=1, title="Finished course", enroll=("student",))
    lesson_complete(
        enrollment=Enrollment.objects.get(user=cast.student, course=done),
        lesson=course_lessons(done)[0],
    )
    full = make_course(cast, capacity=1, title="Full course", enroll=("other_student",))
    enrollment_create(user=cast.student, course=full)  # waitlisted
    dropped = make_course(cast, title="Dropped course", enroll=("student",))
    enrollment_drop(enrollment=Enrollment.objects.get(user=cast.student, course=dropped))
    make_course(cast, title="Someone else's", enroll=("other_student",))

    response = client_as(cast.student).get("/learn/")

    sections = {
        s["status"]: [i["enrollment"].course.title for i in s["items"]]
        for s in response.context["sections"]
    }
    assert sections == {
        "active": [course.title],
        "waitlisted": ["Full course"],
        "completed": ["Finished course"],
    }
    page = response.content.decode()
    assert [h for h in re.findall(r"<h2 [^>]*>([^<]+)", page)] == [
        "In progress ",
        "On the waitlist ",
        "Completed ",
    ]
    assert re.search(
        rf'<progress max="100" value="50" aria-label="Progress in {course.title}"', page
    )
    assert f'href="{lesson_url(second)}">Continue: {second.title}</a>' in page
    assert f'href="/learn/courses/{course.slug}/assignments/"' in page
    assert f'href="/learn/courses/{course.slug}/grades/"' in page
    assert f'href="{course_url(course)}"' in page
    assert "Dropped course" not in page and "Someone else" not in page


def test_my_learning_runs_the_same_queries_for_2_and_12_courses(cast: Cast):
    client = client_as(cast.student)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/learn/").status_code == 200
        return len(queries)

    for _ in range(2):
        make_course(cast, enroll=("student",))
    few = count()
    for _ in range(10):
        make_course(cast, lessons=5, enroll=("student",))
    assert count() == few


# --- the lesson player: access --------------------------------------------------------------


LESSON_SETUPS = {
    "ungated": {},
    "preview": {"is_preview": True},
    "not_released": {"release_at": "future"},
    "released": {"release_after_days": 0},
    "prerequisite": {"requires_prerequisites": True},
}


@pytest.mark.parametrize("setup", list(LESSON_SETUPS))
@pytest.mark.parametrize("role", ["ta", *ROLES])
def test_the_player_answers_what_can_access_lesson_decides(cast: Cast, course: Course, role, setup):
    fields = dict(LESSON_SETUPS[setup])
    if fields.get("release_at") == "future":
        fields["release_at"] = timezone.now() + timedelta(days=3)
    lesson = add_lesson(course, "Gated", **fields)
    user = cast.user(role)
    decision = can_access_lesson(
        user, Lesson.objects.select_related("module__course").get(pk=lesson.pk)
    )
    expected = 200 if decision.allowed else 404 if decision.hidden else 403

    response = client_as(user).get(lesson_url(lesson))

    assert response.status_code == expected
    if expected == 403:
        assert response.context["reason"] == decision.reason
    if role == "student":  # the matrix is not vacuous: the learner meets every answer
        assert expected == {"not_released": 403, "prerequisite": 403}.get(setup, 200)
    if role in ("anonymous", "other_student", "other_instructor"):
        assert expected == (200 if setup == "preview" else 404)


def test_a_draft_lesson_is_404_to_foreigners_and_open_to_the_team(cast: Cast):
    draft = make_course(cast, published=False)
    lesson = course_lessons(draft)[0]
    Lesson.objects.filter(pk=lesson.pk).update(is_preview=True)
    for role in ("anonymous", "student", "other_student", "other_instructor"):
        assert client_as(cast.user(role)).get(lesson_url(lesson)).status_code == 404
    for role in ("owner", "ta", "admin"):
        assert client_as(cast.user(role)).get(lesson_url(lesson)).status_code == 200


def test_a_lesson_under_another_course_slug_is_404(cast: Cast, course: Course):
    other = make_course(cast, enroll=("student",))
    lesson = course_lessons(other)[0]
    url = f"/learn/courses/{course.slug}/lessons/{lesson.pk}/"
    assert client_as(cast.student).get(url).status_code == 404
    assert (
        client_as(cast.student).get(f"/learn/courses/{course.slug}/lessons/999999/").status_code
        == 404
    )


def test_locked_lessons_explain_themselves(cast: Cast, course: Course):
    unlock = timezone.now() + timedelta(days=3)
    later = add_lesson(course, "Later", release_at=unlock)
    gated = add_lesson(course, "Gated", requires_prerequisites=True)

    response = client_as(cast.student).get(lesson_url(later))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Not released yet." in page and "This lesson is not released yet." in page
    assert f'datetime="{timezone.localtime(unlock).isoformat()}"'[:30] in page
    assert "Course outline" in page  # the outline is still there

    response = client_as(cast.student).get(lesson_url(gated))
    assert response.status_code == 403
    assert "Complete the earlier required lessons first." in response.content.decode()


# --- the lesson player: content -------------------------------------------------------------


def test_a_lesson_body_is_safe_markdown(cast: Cast, course: Course):
    lesson = course_lessons(course)[0]
    lesson_update(
        lesson=lesson,
        body="## Title\n\n<script>alert('x')</script>\n\n[bad](javascript:alert(1))\n\n"
        '<img src="x" onerror="alert(1)">',
    )
    page = client_as(cast.student).get(lesson_url(lesson)).content.decode()
    assert "<h2>Title</h2>" in page
    assert "<script>alert" not in page
    assert not re.search(r"href=\"javascript:", page)  # left as text, never a link
    assert not re.search(r"<img[^>]*onerror", page)  # escaped: shown as text


def test_each_kind_gets_its_player(cast: Cast, course: Course, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    video = add_lesson(course, "Clip", "video", video_url="https://cdn.example.test/clip.mp4")
    hosted = add_lesson(course, "Talk", "video", video_url="https://videos.example.test/watch/42")
    link = add_lesson(course, "Docs", "link", link_url="https://docs.example.test/")
    file = add_lesson(
        course, "Sheet", "file", file=SimpleUploadedFile("sheet.pdf", b"%PDF-1.4 demo")
    )
    bare_quiz = add_lesson(course, "Check", "quiz")  # no quiz attached yet
    client = client_as(cast.student)

    page = client.get(lesson_url(video)).content.decode()
    assert re.search(
        r'<video controls preload="metadata" src="https://cdn.example.test/clip.mp4"', page
    )
    assert f'data-progress-url="/api/v1/lessons/{video.pk}/progress/"' in page
    assert 'data-csrf-token="' in page
    assert '<script src="/static/js/video-progress.js" defer></script>' in page
    assert "Watch at least 90 % of the video first." in page  # what completes it
    assert "Mark complete" not in page

    page = client.get(lesson_url(hosted)).content.decode()
    assert "<video" not in page and "video-progress.js" not in page
    assert (
        'href="https://videos.example.test/watch/42" target="_blank" rel="noopener noreferrer"'
        in page
    )

    page = client.get(lesson_url(link)).content.decode()
    assert 'href="https://docs.example.test/" target="_blank" rel="noopener noreferrer"' in page
    assert "Mark complete" in page

    page = client.get(lesson_url(file)).content.decode()
    assert re.search(
        r'href="/media/[^"]+\.pdf" download="sheet.pdf">Download the file \(PDF\)', page
    )

    page = client.get(lesson_url(bare_quiz)).content.decode()
    assert "The quiz is not ready yet." in page  # quiz and assignment links: lms/tests

    staff = client_as(cast.instructor).get(lesson_url(video)).content.decode()
    assert "<video" in staff and "data-progress-url" not in staff  # staff are not tracked
    assert "Mark complete" not in staff


def test_the_video_shows_what_was_watched(cast: Cast, course: Course):
    video = add_lesson(
        course, "Clip", "video", video_url="https://cdn.example.test/c.webm", duration_minutes=10
    )
    enrollment = Enrollment.objects.get(user=cast.student, course=course)
    for position in (30, 60, 90):
        lesson_progress_record(enrollment=enrollment, lesson=video, position_seconds=position)

    page = client_as(cast.student).get(lesson_url(video)).content.decode()

    assert 'data-position="90"' in page and 'data-watched="90"' in page
    assert 'data-length="600"' in page
    assert "Watched 15 %." in page


def test_previous_and_next_follow_the_outline(cast: Cast, course: Course):
    first, second = course_lessons(course)
    third = add_lesson(course, "Third")
    client = client_as(cast.student)
    middle = client.get(lesson_url(second))
    assert middle.context["previous"]["id"] == first.pk
    assert middle.context["next"]["id"] == third.pk
    page = middle.content.decode()
    assert f'href="{lesson_url(first)}" rel="prev"' in page
    assert f'href="{lesson_url(third)}" rel="next"' in page
    assert client.get(lesson_url(first)).context["previous"] is None
    assert client.get(lesson_url(third)).context["next"] is None


# --- mark complete --------------------------------------------------------------------------


def complete_url(lesson: Lesson) -> str:
    return f"{lesson_url(lesson)}complete/"


def test_mark_complete_completes_through_the_service(cast: Cast, course: Course):
    first, _ = course_lessons(course)

    response = follow(client_as(cast.student), complete_url(first))

    assert response.redirect_chain == [(lesson_url(first), 302)]
    assert messages_of(response) == [f"“{first.title}” is complete."]
    enrollment = Enrollment.objects.get(user=cast.student, course=course)
    assert (enrollment.completed_count, enrollment.percent) == (1, 50)
    page = response.content.decode()
    assert "You have completed this lesson." in page and "Mark complete" not in page
    assert re.search(
        r'<span class="lesson-line done">\s*<span class="mark" aria-hidden="true">✓', page
    )
    assert "(completed)" in page


def test_mark_complete_refuses_what_the_rules_refuse(cast: Cast, course: Course):
    video = add_lesson(course, "Clip", "video", video_url="https://cdn.example.test/c.mp4")
    later = add_lesson(course, "Later", release_at=timezone.now() + timedelta(days=2))
    text = course_lessons(course)[0]
    with unchanged(counts=(LessonCompletion,)):
        refused = follow(client_as(cast.student), complete_url(video))  # not watched
        assert refused.status_code == 200
        assert messages_of(refused) == ["Watch at least 90 % of the video first."]
        locked = follow(client_as(cast.student), complete_url(later))
        assert messages_of(locked) == ["This lesson is not released yet."]
        staff = follow(client_as(cast.instructor), complete_url(text))
        assert messages_of(staff) == ["Enroll in the course first."]
        assert client_as(cast.other_student).post(complete_url(text)).status_code == 404
        anonymous = Client().post(complete_url(text))
        assert anonymous.status_code == 302 and anonymous["Location"].startswith(LOGIN)
        assert client_as(cast.student).get(complete_url(text)).status_code == 405


# --- queries --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "student", "instructor"])
def test_course_page_and_player_run_the_same_queries_for_2_and_20_lessons(cast: Cast, role):
    client = client_as(cast.user(role))

    def counts(course: Course) -> tuple[int, int]:
        first = course_lessons(course)[0]
        Lesson.objects.filter(pk=first.pk).update(is_preview=True)  # anonymous may open it
        with CaptureQueriesContext(connection) as page:
            assert client.get(course_url(course)).status_code == 200
        with CaptureQueriesContext(connection) as player:
            assert client.get(lesson_url(first)).status_code == 200
        return len(page), len(player)

    small = make_course(cast, lessons=2, enroll=("student",))
    big = make_course(cast, lessons=20, enroll=("student",))
    for lesson in course_lessons(big)[1:8]:  # some progress: completions are read in bulk
        lesson_complete(
            enrollment=Enrollment.objects.get(user=cast.student, course=big), lesson=lesson
        )
    assert counts(small) == counts(big)


def test_a_seated_learner_is_any_user_with_a_seat(cast: Cast):
    """The pages follow the seat, not the platform role: an instructor enrolled elsewhere
    learns there like anyone."""
    course = make_course(cast)
    learner = UserFactory(role="instructor")
    enrollment_create(user=learner, course=course)
    response = client_as(learner).get(course_url(course))
    assert response.context["action"].kind == "continue"
