"""The catalogue page at `/` (courses.catalogue_views) and the site header of base.html:
who sees what, search, filters, pages, a constant number of queries (none when warm),
and what the header offers each role."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from courses.catalogue_views import SORT_CHOICES
from courses.models import Course, CourseStaff
from courses.selectors import CATALOGUE_PAGE_SIZE, ORDERINGS
from courses.services import category_create, course_update
from courses.services.common import search_vector_refresh
from courses.tests.factories import CategoryFactory, CourseFactory
from lms.testing import Cast, make_course

pytestmark = pytest.mark.django_db

CATALOGUE = "/"


def client_as(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def card_slugs(response) -> list[str]:
    return [course["slug"] for course in response.context["courses"]]


def published(**fields) -> Course:
    course = CourseFactory(published=True, **fields)
    search_vector_refresh(course.pk)
    return course


# --- who sees what ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["anonymous", "student", "other_student", "instructor", "other_instructor", "admin"]
)
def test_everyone_sees_the_published_courses_and_no_draft(cast: Cast, role):
    shown = make_course(cast, title="Published for all")
    draft = make_course(cast, published=False, title="Secret draft")
    archived = make_course(cast, title="Old course", status="archived")

    response = client_as(cast.user(role)).get(CATALOGUE)

    assert response.status_code == 200
    assert card_slugs(response) == [shown.slug]
    page = response.content.decode()
    assert "Published for all" in page
    assert draft.title not in page and archived.title not in page
    assert f'href="/courses/{shown.slug}/"' in page


def test_a_card_shows_title_summary_price_level_and_instructors(cast: Cast):
    paid = make_course(
        cast, title="Paid one", subtitle="Learn to pay", price_amount=4900, currency="USD"
    )
    CourseStaff.objects.filter(course=paid, user=cast.instructor).delete()
    cast.owner.first_name, cast.owner.last_name = "Olga", "Owner"
    cast.owner.save()
    make_course(cast, title="Free one", level="beginner")

    page = Client().get(CATALOGUE).content.decode()

    card = page[page.index("Paid one") :]
    assert "Learn to pay" in card
    assert "49.00 USD" in card
    assert "Olga Owner" in card
    assert "Teaching assistant" not in page  # TAs are not listed as instructors
    free = page[page.index("Free one") :]
    assert re.search(r'<dd class="price">Free</dd>', free)
    assert "Beginner" in free  # the level's label, never the stored value alone


def test_text_typed_by_course_teams_is_escaped():
    published(title="<script>alert(1)</script>", subtitle="<b>bold</b>")
    page = Client().get(CATALOGUE).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page


# --- search, filters, pages ---------------------------------------------------------------


def test_search_matches_the_catalogue_search():
    published(title="Django for beginners", slug="django")
    published(title="Cooking pasta", slug="pasta", description="Nothing about the web.")

    response = Client().get(CATALOGUE, {"q": "django"})

    assert card_slugs(response) == ["django"]
    page = response.content.decode()
    assert 'value="django"' in page  # the search box keeps the query
    assert "1 course matches your search" in page
    assert "Clear search and filters" in page
    nothing = Client().get(CATALOGUE, {"q": "astrophysics"})
    assert card_slugs(nothing) == []
    assert "No course matches your search" in nothing.content.decode()


def test_filters_by_category_level_and_price():
    parent = category_create(name="Programming", slug="programming")
    child = category_create(name="Python", slug="python", parent=parent)
    other = CategoryFactory(slug="cooking", name="Cooking")
    published(slug="py-free", category=child, level="beginner")
    published(slug="prog-paid", category=parent, level="advanced", price_amount=900)
    published(slug="cook", category=other, level="beginner")

    def listed(**params) -> set[str]:
        return set(card_slugs(Client().get(CATALOGUE, params)))

    assert listed(category="programming") == {"py-free", "prog-paid"}  # with its children
    assert listed(category="python") == {"py-free"}
    assert listed(level="beginner") == {"py-free", "cook"}
    assert listed(price="free") == {"py-free", "cook"}
    assert listed(price="paid") == {"prog-paid"}
    assert listed(category="programming", price="free") == {"py-free"}
    page = Client().get(CATALOGUE).content.decode()
    assert '<option value="python">Programming: Python</option>' in page


def test_an_unknown_filter_value_is_a_form_error_not_a_500():
    published(slug="one")
    response = Client().get(CATALOGUE, {"level": "guru", "price": "cheap", "page": "x"})
    assert response.status_code == 200
    assert card_slugs(response) == ["one"]  # the invalid values are ignored
    assert response.context["form"].errors.keys() == {"level", "price", "page"}
    assert "Select a valid choice" in response.content.decode()


def test_sort_choices_are_the_catalogue_orderings():
    assert {value for value, _ in SORT_CHOICES if value} <= set(ORDERINGS)
    published(slug="b-course", title="B")
    published(slug="a-course", title="A")
    assert card_slugs(Client().get(CATALOGUE, {"sort": "title"})) == ["a-course", "b-course"]


def test_pages_keep_the_query():
    for n in range(CATALOGUE_PAGE_SIZE + 2):
        published(slug=f"course-{n:02}", title=f"Course {n:02}", level="beginner")

    first = Client().get(CATALOGUE, {"level": "beginner", "sort": "title"})
    assert len(card_slugs(first)) == CATALOGUE_PAGE_SIZE
    assert first.context["pages"] == {
        "previous": None,
        "next": "?level=beginner&sort=title&page=2",
    }
    second = Client().get(CATALOGUE, {"level": "beginner", "sort": "title", "page": 2})
    assert card_slugs(second) == ["course-12", "course-13"]
    assert second.context["pages"]["previous"] == "?level=beginner&sort=title"
    past_the_end = Client().get(CATALOGUE, {"page": 99})
    assert past_the_end.context["result"]["number"] == 2  # the last page


def test_a_course_write_shows_at_once_through_the_cache(cast: Cast):
    course = make_course(cast, title="Before")
    assert "Before" in Client().get(CATALOGUE).content.decode()
    course_update(course=course, by=cast.owner, title="After")
    page = Client().get(CATALOGUE).content.decode()
    assert "After" in page and "Before" not in page


# --- queries ------------------------------------------------------------------------------


def _queries(client: Client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(CATALOGUE, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("role", ["anonymous", "student", "instructor"])
def test_queries_do_not_grow_with_the_courses_and_a_warm_page_reads_none(cast: Cast, role):
    client = client_as(cast.user(role))
    for _ in range(3):
        make_course(cast)
    few_cold = _queries(client)
    few_warm = _queries(client)
    cache.clear()
    for _ in range(CATALOGUE_PAGE_SIZE + 5):
        make_course(cast)
    many_cold = _queries(client)
    many_warm = _queries(client)
    assert few_cold == many_cold
    assert few_warm == many_warm
    if role == "anonymous":
        assert many_warm == 0  # categories and the page come from the cache
    assert many_warm < many_cold


# --- the header ---------------------------------------------------------------------------


def signup_url() -> str | None:
    try:
        return reverse("accounts:signup")
    except NoReverseMatch:
        return None


def nav_links(page: str) -> dict[str, str]:
    """{link text: href} of the header's links."""
    header = page[page.index("<header") : page.index("</header>")]
    return {
        text.strip(): href
        for href, text in re.findall(
            r'<a(?: class="[^"]*")? href="([^"]*)"[^>]*>([^<]+)</a>', header
        )
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", {"LMS", "Catalogue", "Sign in"}),
        ("student", {"LMS", "Catalogue", "My learning"}),
        ("ta", {"LMS", "Catalogue", "My learning", "Instructor"}),  # a student on a team
        ("instructor", {"LMS", "Catalogue", "My learning", "Instructor"}),
        ("other_instructor", {"LMS", "Catalogue", "My learning", "Instructor"}),
        ("admin", {"LMS", "Catalogue", "My learning", "Instructor", "Admin"}),
    ],
)
def test_the_header_offers_each_role_its_pages(cast: Cast, role, expected):
    make_course(cast)  # puts the TA on a team
    page = client_as(cast.user(role)).get(CATALOGUE).content.decode()
    links = nav_links(page)
    if role == "anonymous" and signup_url():  # offered once accounts has a sign-up page
        expected = {*expected, "Sign up"}
        assert links["Sign up"] == signup_url()
    assert set(links) == expected
    assert links["LMS"] == "/" and links["Catalogue"] == "/"
    assert (
        '<nav aria-label="Main">' in page and '<nav class="account" aria-label="Account">' in page
    )
    assert re.search(r'<a href="/"\s+aria-current="page">Catalogue</a>', page)
    if role == "anonymous":
        assert links["Sign in"] == "/accounts/login/?next=/"
        assert "Sign out" not in page
    else:
        assert links["My learning"] == "/learn/"
        assert cast.user(role).email in page
        assert "Sign out" in page and "Sign in" not in page
    if "Instructor" in expected:
        assert links["Instructor"] == "/instructor/"
    if "Admin" in expected:
        assert links["Admin"] == "/admin/"


def test_the_header_marks_the_current_section(cast: Cast):
    page = client_as(cast.student).get("/learn/").content.decode()
    assert re.search(r'href="/learn/"\s+aria-current="page">My learning', page)
    assert not re.search(r'href="/"\s+aria-current', page)
