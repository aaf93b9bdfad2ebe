"""The instructor's roster pages (Django's test client, session login): who may see and do
what, the filters and search, the CSV export, the learner view and accommodations, and a
constant number of queries whatever the number of learners."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from courses.models import Course
from enrollments.models import Enrollment
from enrollments.services import enrollment_create, lesson_complete
from enrollments.tests.factories import EnrollmentFactory
from lms.audit.models import AuditLog
from lms.testing import course_lessons, make_course, unchanged

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def roster_url(course: Course) -> str:
    return f"/instructor/courses/{course.slug}/learners/"


def csv_url(course: Course) -> str:
    return f"/instructor/courses/{course.slug}/learners.csv"


def learner_url(enrollment: Enrollment) -> str:
    return f"/instructor/courses/{enrollment.course.slug}/learners/{enrollment.pk}/"


def emails_on(response) -> list[str]:
    return [e.user.email for e in response.context["page"].object_list]


def enrol(course: Course, email: str, *, done: int = 0, **fields) -> Enrollment:
    """A learner enrolled through the service, `done` lessons completed through the service,
    then dates overwritten where a test needs them."""
    enrollment = enrollment_create(user=UserFactory(email=email), course=course)
    for lesson in course_lessons(course)[:done]:
        enrollment, _ = lesson_complete(enrollment=enrollment, lesson=lesson)
    if fields:
        Enrollment.objects.filter(pk=enrollment.pk).update(**fields)
        enrollment.refresh_from_db()
    return enrollment


# --- who gets in ----------------------------------------------------------------------


ROSTER_ROLES = [
    ("student", 403),
    ("other_student", 403),
    ("outsider", 403),
    ("other_instructor", 403),  # published course they do not teach
    ("owner", 200),
    ("instructor", 200),
    ("ta", 200),
    ("admin", 200),
]


def test_anonymous_goes_to_the_login_page(course):
    enrollment = enrol(course, "a@example.test")
    for url in (roster_url(course), csv_url(course), learner_url(enrollment)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")


@pytest.mark.parametrize(("role", "expected"), ROSTER_ROLES)
def test_roster_csv_and_learner_view_by_role(cast, course, role, expected):
    enrollment = enrol(course, "a@example.test")
    client = client_as(cast.user(role))
    assert client.get(roster_url(course)).status_code == expected
    assert client.get(csv_url(course)).status_code == expected
    assert client.get(learner_url(enrollment)).status_code == expected


def test_a_draft_is_404_to_outsiders_and_open_to_its_team(cast):
    draft = make_course(cast, published=False)
    enrollment = EnrollmentFactory(course=draft)
    for role in ("other_instructor", "student"):
        client = client_as(cast.user(role))
        assert client.get(roster_url(draft)).status_code == 404
        assert client.get(csv_url(draft)).status_code == 404
        assert client.get(learner_url(enrollment)).status_code == 404
    assert client_as(cast.owner).get(roster_url(draft)).status_code == 200
    assert client_as(cast.ta).get(roster_url(draft)).status_code == 200


def test_an_enrollment_of_another_course_is_404(cast, course):
    other = EnrollmentFactory(course=make_course(cast))
    url = f"/instructor/courses/{course.slug}/learners/{other.pk}/"
    assert client_as(cast.owner).get(url).status_code == 404
    assert client_as(cast.owner).get(roster_url(Course(slug="nope"))).status_code == 404


# --- the roster -----------------------------------------------------------------------


@pytest.fixture
def spread(course):
    """Four learners of a three-lesson course, one per filter."""
    old = timezone.now() - timedelta(days=20)
    return {
        "fresh": enrol(course, "fresh@example.test"),
        "halfway": enrol(course, "halfway@example.test", done=1),
        "done": enrol(course, "done@example.test", done=3),
        "idle": enrol(course, "idle@example.test", done=2, last_activity_at=old, enrolled_at=old),
    }


def test_roster_shows_progress_status_and_dates(cast, course, spread):
    response = client_as(cast.owner).get(roster_url(course))
    assert response.status_code == 200
    assert emails_on(response) == [
        "done@example.test",
        "fresh@example.test",
        "halfway@example.test",
        "idle@example.test",
    ]
    html = response.content.decode()
    # floor(1 * 100 / 3) = 33, floor(2 * 100 / 3) = 66
    for email, percent in [("fresh", 0), ("halfway", 33), ("done", 100), ("idle", 66)]:
        assert (
            f'<progress max="100" value="{percent}" aria-label="Progress of {email}@example.test">'
            in html
        )
    assert "Completed" in html
    assert spread["idle"].last_activity_at.strftime("%Y-%m-%d %H:%M") in html


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("", ["done", "fresh", "halfway", "idle"]),
        ("not_started", ["fresh"]),
        ("in_progress", ["halfway", "idle"]),
        ("completed", ["done"]),
        ("inactive", ["idle"]),
        ("bogus", ["done", "fresh", "halfway", "idle"]),  # unknown: everyone
    ],
)
def test_roster_filters(cast, course, spread, show, expected):
    response = client_as(cast.owner).get(roster_url(course), {"show": show})
    assert emails_on(response) == [f"{name}@example.test" for name in expected]


def test_inactive_counts_from_enrolment_when_never_active(cast, course):
    now = timezone.now()
    enrol(course, "never-old@example.test", enrolled_at=now - timedelta(days=15))
    enrol(course, "never-new@example.test", enrolled_at=now - timedelta(days=13))
    enrol(
        course,
        "recent@example.test",
        last_activity_at=now - timedelta(days=13),
        enrolled_at=now - timedelta(days=40),
    )
    enrol(course, "dropped@example.test", enrolled_at=now - timedelta(days=40), status="dropped")
    response = client_as(cast.owner).get(roster_url(course), {"show": "inactive"})
    assert emails_on(response) == ["never-old@example.test"]


def test_roster_search_by_email_and_name(cast, course):
    enrollment_create(
        user=UserFactory(email="ada@example.test", first_name="Ada", last_name="Lovelace"),
        course=course,
    )
    enrollment_create(
        user=UserFactory(email="alan@example.test", first_name="Alan", last_name="Turing"),
        course=course,
    )
    client = client_as(cast.owner)
    for query, expected in [
        ("ADA@", ["ada@example.test"]),
        ("turing", ["alan@example.test"]),
        ("ada lovelace", ["ada@example.test"]),
        ("example.test", ["ada@example.test", "alan@example.test"]),
        ("nobody", []),
    ]:
        assert emails_on(client.get(roster_url(course), {"q": query})) == expected, query


def test_roster_is_paginated_and_keeps_filters(cast, course):
    for n in range(55):
        EnrollmentFactory(course=course, user=UserFactory(email=f"l{n:02}@example.test"))
    client = client_as(cast.owner)
    first = client.get(roster_url(course), {"show": "not_started"})
    assert len(emails_on(first)) == 50
    assert "?show=not_started&amp;page=2" in first.content.decode()
    second = client.get(roster_url(course), {"show": "not_started", "page": 2})
    assert emails_on(second) == [f"l{n}@example.test" for n in range(50, 55)]


@pytest.mark.parametrize("learners", [5, 50])
def test_roster_runs_a_constant_number_of_queries(
    cast, course, django_assert_max_num_queries, learners
):
    old = timezone.now() - timedelta(days=20)
    for _ in range(learners):
        EnrollmentFactory(course=course, percent=0, last_activity_at=old, enrolled_at=old)
    client = client_as(cast.ta)
    # session, user, course, team role, count, page of rows: nothing per learner
    with django_assert_max_num_queries(6):
        response = client.get(roster_url(course), {"show": "inactive", "q": "example"})
    assert len(emails_on(response)) == learners
    with django_assert_max_num_queries(6):
        response = client.get(csv_url(course))
    assert len(response.content.decode().splitlines()) == learners + 1


# --- CSV ------------------------------------------------------------------------------


def test_csv_export_of_the_filtered_roster(cast, course, spread):
    User.objects.filter(email="idle@example.test").update(first_name="=Idle", last_name="Ivy")
    response = client_as(cast.ta).get(csv_url(course), {"show": "in_progress"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "email",
        "name",
        "status",
        "percent",
        "completed/total",
        "enrolled_at",
        "last_activity_at",
    ]
    halfway, idle = spread["halfway"], spread["idle"]
    halfway.user.refresh_from_db()
    assert rows[1:] == [
        [
            "halfway@example.test",
            halfway.user.get_full_name(),
            "active",
            "33",
            "1/3",
            halfway.enrolled_at.isoformat(),
            halfway.last_activity_at.isoformat(),
        ],
        [
            "idle@example.test",
            "'=Idle Ivy",  # a formula is defused
            "active",
            "66",
            "2/3",
            idle.enrolled_at.isoformat(),
            idle.last_activity_at.isoformat(),
        ],
    ]


def test_the_roster_links_to_the_filtered_csv(cast, course, spread):
    html = client_as(cast.owner).get(roster_url(course), {"show": "inactive"}).content.decode()
    assert f'href="{csv_url(course)}?show=inactive"' in html


# --- one learner ----------------------------------------------------------------------


def test_learner_view_lists_lessons_with_completion(cast, course):
    enrollment = enrol(course, "l@example.test", done=1)
    first, second, third = course_lessons(course)
    third.required_for_completion = False
    third.save(update_fields=["required_for_completion"])
    response = client_as(cast.ta).get(learner_url(enrollment))
    assert response.status_code == 200
    rows = response.context["lessons"]
    assert [(r["lesson"], r["required"], r["completed_at"] is not None) for r in rows] == [
        (first.title, True, True),
        (second.title, True, False),
        (third.title, False, False),
    ]
    assert rows[0]["module"] == first.module.title
    html = response.content.decode()
    assert first.title in html and second.title in html


def test_owner_saves_accommodations_through_the_service(cast, course):
    enrollment = enrol(course, "l@example.test")
    client = client_as(cast.owner)
    assert 'name="time_multiplier"' in client.get(learner_url(enrollment)).content.decode()
    response = client.post(
        learner_url(enrollment),
        {"time_multiplier": "1.50", "extra_attempts": "2", "deadline_extension_days": "7"},
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.time_multiplier == Decimal("1.50")
    assert enrollment.extra_attempts == 2
    assert enrollment.deadline_extension_days == 7
    log = AuditLog.objects.get(action="enrollment.accommodations_changed")
    assert log.actor == cast.owner
    follow = client.get(response["Location"])
    assert "Accommodations saved." in follow.content.decode()


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_instructors_and_admins_save_accommodations(cast, course, role):
    enrollment = enrol(course, "l@example.test")
    response = client_as(cast.user(role)).post(
        learner_url(enrollment),
        {"time_multiplier": "2", "extra_attempts": "0", "deadline_extension_days": "0"},
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.time_multiplier == Decimal("2.00")


def test_invalid_accommodations_are_refused_with_the_reason(cast, course):
    enrollment = enrol(course, "l@example.test")
    with unchanged(enrollment, counts=(AuditLog,)):
        response = client_as(cast.owner).post(
            learner_url(enrollment),
            {"time_multiplier": "11", "extra_attempts": "-1", "deadline_extension_days": "7"},
        )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"time_multiplier", "extra_attempts"}


def test_ta_reads_the_learner_but_cannot_save_accommodations(cast, course):
    enrollment = enrol(course, "l@example.test")
    client = client_as(cast.ta)
    html = client.get(learner_url(enrollment)).content.decode()
    assert 'name="time_multiplier"' not in html
    assert 'id="accommodations-read-only"' in html
    with unchanged(enrollment, counts=(AuditLog,)):
        response = client.post(
            learner_url(enrollment),
            {"time_multiplier": "3", "extra_attempts": "1", "deadline_extension_days": "1"},
        )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["student", "outsider", "other_instructor"])
def test_outsiders_cannot_save_accommodations(cast, course, role):
    enrollment = enrol(course, "l@example.test")
    with unchanged(enrollment, counts=(AuditLog,)):
        response = client_as(cast.user(role)).post(
            learner_url(enrollment),
            {"time_multiplier": "3", "extra_attempts": "1", "deadline_extension_days": "1"},
        )
    assert response.status_code == 403
