"""Signing in sends each role home: learners to My learning, course teams (TAs included)
and admins to the instructor pages; a safe `?next=` wins. The same rule feeds the MFA
step, the header (`home_url`) and the 403 page a learner meets in the instructor area."""

import pyotp
import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from accounts.context_processors import home
from accounts.home import home_url_for, is_course_team
from accounts.models import TotpDevice, User
from accounts.tests.factories import TEST_PASSWORD
from lms.testing import cast_create, make_course

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LEARN = "/learn/"
INSTRUCTOR = "/instructor/"
# Every signed-in role of the cast, and where it lands.
HOMES = {
    "student": LEARN,  # enrolled in the course
    "outsider": LEARN,  # a student with no course at all
    "owner": INSTRUCTOR,
    "instructor": INSTRUCTOR,
    "ta": INSTRUCTOR,  # a student by platform role, on the course's team
    "other_instructor": INSTRUCTOR,  # an instructor of no course yet: may create one
    "admin": INSTRUCTOR,
}


@pytest.fixture
def course(cast):
    return make_course(cast, enroll=("student",))


def sign_in(client: Client, user: User, next_url: str = ""):
    data = {"username": user.email, "password": TEST_PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


@pytest.mark.parametrize("role", HOMES)
def test_signing_in_lands_each_role_on_its_home_which_opens(cast, course, role):
    client = Client()

    response = sign_in(client, cast.user(role))

    assert response.status_code == 302
    assert response["Location"] == HOMES[role]
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("role", HOMES)
def test_a_safe_next_wins_over_the_home(cast, course, role):
    response = sign_in(Client(), cast.user(role), next_url="/accounts/password/reset/")

    assert response["Location"] == "/accounts/password/reset/"


@pytest.mark.parametrize("role", ["student", "ta", "admin"])
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/learn/"])
def test_an_unsafe_next_is_ignored_for_the_home(cast, course, role, next_url):
    response = sign_in(Client(), cast.user(role), next_url=next_url)

    assert response["Location"] == HOMES[role]


def with_totp(user: User) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    TotpDevice.objects.create(user=user, secret=secret, confirmed_at=timezone.now())
    return pyotp.TOTP(secret)


@pytest.mark.parametrize("role", ["student", "ta", "admin"])
def test_the_mfa_step_lands_on_the_same_home(cast, course, role):
    user = cast.user(role)
    totp = with_totp(user)
    client = Client()
    assert sign_in(client, user)["Location"] == "/accounts/login/mfa/"

    response = client.post("/accounts/login/mfa/", {"code": totp.now()})

    assert response["Location"] == HOMES[role]


def test_the_mfa_step_keeps_a_safe_next(cast, course):
    totp = with_totp(cast.student)
    client = Client()
    sign_in(client, cast.student, next_url=f"/courses/{course.slug}/")

    response = client.post("/accounts/login/mfa/", {"code": totp.now()})

    assert response["Location"] == f"/courses/{course.slug}/"


def test_a_required_mfa_setup_ends_with_a_link_home(cast, course, settings):
    settings.MFA_REQUIRED_ROLES = ["student"]
    client = Client()
    assert sign_in(client, cast.ta)["Location"] == "/accounts/mfa/setup/"
    client.get("/accounts/mfa/setup/")
    secret = TotpDevice.objects.get(user=cast.ta).secret

    done = client.post("/accounts/mfa/setup/", {"code": pyotp.TOTP(secret).now()})

    assert done.status_code == 200
    assert done.context["next_url"] == INSTRUCTOR


def test_joining_a_course_team_moves_the_home():
    cast = cast_create()  # cast.ta: a student by platform role, on no team yet
    assert home_url_for(cast.ta) == LEARN

    make_course(cast)  # puts the cast's owner, instructor and TA on its team

    assert home_url_for(User.objects.get(pk=cast.ta.pk)) == INSTRUCTOR


def test_the_team_lookup_costs_one_query_and_is_remembered(cast, course, django_assert_num_queries):
    ta = User.objects.get(pk=cast.ta.pk)
    with django_assert_num_queries(1):
        assert is_course_team(ta)
        assert home_url_for(ta) == INSTRUCTOR
    instructor = User.objects.get(pk=cast.other_instructor.pk)
    with django_assert_num_queries(0):  # the platform role says it
        assert home_url_for(instructor) == INSTRUCTOR


def test_anonymous_visitors_have_the_sign_in_page_as_home():
    assert home_url_for(AnonymousUser()) == LOGIN
    assert home_url_for(None) == LOGIN


@pytest.mark.parametrize("role", ["student", "ta", "admin"])
def test_pages_know_the_home_as_home_url(cast, course, role):
    client = Client()
    client.force_login(cast.user(role))

    response = client.get("/accounts/password/reset/")

    assert str(response.context["home_url"]) == HOMES[role]
    assert str(response.context["home_label"]) == (
        "My learning" if HOMES[role] == LEARN else "My courses"
    )


def test_the_home_is_looked_up_only_when_a_page_shows_it(
    cast, course, rf, django_assert_num_queries
):
    request = rf.get("/")
    ta = User.objects.get(pk=cast.ta.pk)
    request.user = SimpleLazyObject(lambda: ta)  # as AuthenticationMiddleware sets it
    with django_assert_num_queries(0):
        context = home(request)
    with django_assert_num_queries(1):
        assert str(context["home_url"]) == INSTRUCTOR
        assert str(context["home_label"]) == "My courses"


# --- the 403 page ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["student", "outsider"])
def test_a_learner_in_the_instructor_area_gets_a_way_to_my_learning(cast, course, role):
    client = Client()
    client.force_login(cast.user(role))

    response = client.get(INSTRUCTOR)

    assert response.status_code == 403
    page = response.content.decode()
    assert "The instructor pages are for the people who teach a course" in page
    assert f'<a href="{LEARN}">My learning</a>' in page
    assert '<html lang="en">' in page  # the site's own layout, not a bare "403 Forbidden"


def test_another_instructor_on_a_foreign_course_gets_a_way_to_my_courses(cast, course):
    client = Client()
    client.force_login(cast.other_instructor)

    response = client.get(f"/instructor/courses/{course.slug}/")

    assert response.status_code == 403
    page = response.content.decode()
    assert f'<a href="{INSTRUCTOR}">My courses</a>' in page


def test_an_anonymous_visitor_is_sent_to_sign_in_not_shown_a_403():
    response = Client().get(INSTRUCTOR)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")
