"""The catalogue: scopes, filters, ordering, search, constant query counts."""

import pytest
from django.core.cache import cache

from accounts.tests.factories import InstructorFactory
from courses import services
from courses.models import Course, CourseStaff, Lesson
from courses.tests.factories import (
    CategoryFactory,
    CourseFactory,
    CourseStaffFactory,
    LessonFactory,
    ModuleFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["slug"] for item in response.json()["data"]]


def test_catalogue_lists_published_courses_only(team, make_course, as_user):
    published = make_course(published=True)
    make_course()  # draft
    archived = make_course(published=True)
    Course.objects.filter(pk=archived.pk).update(status=Course.Status.ARCHIVED)
    for actor in ("anonymous", "student", "owner", "admin"):
        assert slugs(as_user(team.user(actor)).get("/api/v1/courses/")) == [published.slug]


def test_scopes(team, make_course, as_user):
    draft, published = make_course(), make_course(published=True)
    foreign = CourseFactory(owner=True)
    teaching = as_user(team.ta).get("/api/v1/courses/", {"scope": "teaching"})
    assert set(slugs(teaching)) == {draft.slug, published.slug}
    assert {item["viewer_role"] for item in teaching.json()["data"]} == {"ta"}
    assert slugs(as_user(team.other_instructor).get("/api/v1/courses/?scope=teaching")) == []
    assert as_user(None).get("/api/v1/courses/?scope=teaching").status_code == 401
    assert as_user(team.owner).get("/api/v1/courses/?scope=all").status_code == 403
    everything = slugs(as_user(team.admin).get("/api/v1/courses/?scope=all"))
    assert set(everything) == {draft.slug, published.slug, foreign.slug}
    bad = as_user(team.admin).get("/api/v1/courses/?scope=mine")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "scope"


def test_filters(as_user):
    parent = CategoryFactory(slug="programming")
    child = CategoryFactory(slug="python", parent=parent)
    other = CategoryFactory(slug="cooking")
    tag = TagFactory(slug="beginner-friendly")
    teacher = InstructorFactory()
    a = CourseFactory(published=True, slug="a", category=parent, level="beginner", language="en")
    b = CourseFactory(published=True, slug="b", category=child, price_amount=1000, language="pt-BR")
    c = CourseFactory(published=True, slug="c", category=other, level="beginner")
    b.tags.add(tag)
    c.tags.add(tag)
    CourseStaffFactory(course=c, user=teacher, role=CourseStaff.Role.INSTRUCTOR)
    CourseStaffFactory(course=a, user=teacher, role=CourseStaff.Role.TA)  # TAs don't count
    client = as_user(None)

    def listed(**params) -> set[str]:
        return set(slugs(client.get("/api/v1/courses/", params)))

    assert listed(category="programming") == {"a", "b"}  # includes the subcategory
    assert listed(category="python") == {"b"}
    assert listed(tag="beginner-friendly") == {"b", "c"}
    assert listed(level="beginner") == {"a", "c"}
    assert listed(language="pt-br") == {"b"}
    assert listed(price="free") == {"a", "c"}
    assert listed(price="paid") == {"b"}
    assert listed(instructor=teacher.pk) == {"c"}
    assert listed(level="beginner", tag="beginner-friendly", price="free") == {"c"}
    response = client.get("/api/v1/courses/", {"level": "guru", "price": "cheap"})
    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {"level", "price"}


def test_ordering(as_user):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for slug, title, price, days, learners in [
        ("old", "Zeta", 300, 3, 50),
        ("mid", "Alpha", 100, 2, 5),
        ("new", "Mu", 200, 1, 20),
    ]:
        CourseFactory(
            published=True,
            slug=slug,
            title=title,
            price_amount=price,
            published_at=now - timedelta(days=days),
            enrollment_count=learners,
        )
    client = as_user(None)

    def ordered(value: str) -> list[str]:
        return slugs(client.get("/api/v1/courses/", {"ordering": value}))

    assert slugs(client.get("/api/v1/courses/")) == ["new", "mid", "old"]
    assert ordered("newest") == ["new", "mid", "old"]
    assert ordered("popular") == ["old", "new", "mid"]
    assert ordered("title") == ["mid", "new", "old"]
    assert ordered("price") == ["mid", "new", "old"]
    assert ordered("-price") == ["old", "new", "mid"]
    assert client.get("/api/v1/courses/", {"ordering": "random"}).status_code == 400


def test_pagination_meta(team, as_user):
    for _ in range(3):
        CourseFactory(published=True)
    client = as_user(None)
    for _ in range(2):  # computed, then the cached page: the same one list meta
        body = client.get("/api/v1/courses/", {"page_size": 2}).json()
        assert len(body["data"]) == 2
        assert body["meta"] == {
            "count": 3,
            "page_size": 2,
            "next": "http://testserver/api/v1/courses/?page=2&page_size=2",
            "previous": None,
        }
    everything = as_user(team.admin).get(
        "/api/v1/courses/", {"scope": "all", "page": 2, "page_size": 2}
    )
    assert everything.json()["meta"] == {
        "count": 3,
        "page_size": 2,
        "next": None,
        "previous": "http://testserver/api/v1/courses/?page_size=2&scope=all",
    }


def test_bounded_lists_carry_the_one_meta(team, make_course, as_user):
    course = make_course(published=True)
    client = as_user(team.owner)
    for path in (f"courses/{course.slug}/lessons/", f"courses/{course.slug}/modules/",
                 f"courses/{course.slug}/staff/", "categories/", "tags/"):  # fmt: skip
        body = client.get(f"/api/v1/{path}").json()
        assert body["meta"] == {
            "count": len(body["data"]),
            "page_size": None,
            "next": None,
            "previous": None,
        }, path


def test_datetimes_end_in_z(team, make_course, as_user):
    course = make_course(published=True)
    Lesson.objects.filter(module__course=course).update(release_at="2031-01-02T03:04:05Z")
    reader = as_user(None)
    detail = reader.get(f"/api/v1/courses/{course.slug}/").json()["data"]
    outline = reader.get(f"/api/v1/courses/{course.slug}/outline/").json()["data"]
    lessons = reader.get(f"/api/v1/courses/{course.slug}/lessons/").json()["data"]
    stamps = [detail["published_at"], detail["created_at"], detail["updated_at"]]
    stamps += [lesson["release_at"] for m in outline["modules"] for lesson in m["lessons"]]
    stamps += [lesson["release_at"] for lesson in lessons] + [lessons[0]["created_at"]]
    assert stamps and all(stamp.endswith("Z") for stamp in stamps), stamps


def _search_fixture() -> None:
    author = InstructorFactory()
    for slug, fields in {
        "title-hit": {"title": "Kubernetes for developers", "description": "Containers."},
        "description-hit": {
            "title": "Cloud operations",
            "description": "We also touch on kubernetes clusters.",
        },
        "subtitle-hit": {"title": "Deploying apps", "subtitle": "With Kubernetes"},
        "miss": {"title": "Baking bread", "description": "Flour and water."},
    }.items():
        course = services.course_create(by=author, slug=slug, **fields)
        services.course_update(
            course=course, level="advanced" if slug != "title-hit" else "beginner"
        )
        LessonFactory(module=ModuleFactory(course=course))
        Course.objects.filter(pk=course.pk).update(
            status="published", published_at=course.created_at
        )


def test_search_matches_title_subtitle_and_description(as_user):
    """Both back-ends: PostgreSQL full text, SQLite a case-insensitive substring match."""
    _search_fixture()
    found = slugs(as_user(None).get("/api/v1/courses/", {"search": "KUBERNETES"}))
    assert set(found) == {"title-hit", "subtitle-hit", "description-hit"}


@pytest.mark.postgres
def test_search_ranks_title_above_description_and_combines_with_filters(as_user):
    _search_fixture()
    client = as_user(None)
    assert slugs(client.get("/api/v1/courses/", {"search": "kubernetes"})) == [
        "title-hit",
        "subtitle-hit",
        "description-hit",
    ]
    # websearch syntax and stemming: "cluster" finds "clusters"; "-bread" excludes.
    assert slugs(client.get("/api/v1/courses/", {"search": "cluster"})) == ["description-hit"]
    assert slugs(client.get("/api/v1/courses/", {"search": "flour -bread"})) == []
    combined = client.get("/api/v1/courses/", {"search": "kubernetes", "level": "advanced"})
    assert slugs(combined) == ["subtitle-hit", "description-hit"]
    titled = client.get("/api/v1/courses/", {"search": "kubernetes", "ordering": "title"})
    assert slugs(titled) == ["description-hit", "subtitle-hit", "title-hit"]
    # The vector follows edits.
    course = Course.objects.get(slug="miss")
    services.course_update(course=course, title="Kubernetes bread")
    assert slugs(client.get("/api/v1/courses/", {"search": "kubernetes"}))[0] in {
        "title-hit",
        "miss",
    }
    assert "miss" in slugs(client.get("/api/v1/courses/", {"search": "kubernetes"}))


# --- query counts ----------------------------------------------------------------------


def _catalogue_course() -> Course:
    course = CourseFactory(published=True, category=CategoryFactory(parent=CategoryFactory()))
    CourseStaffFactory(course=course, role=CourseStaff.Role.OWNER)
    CourseStaffFactory(course=course, role=CourseStaff.Role.INSTRUCTOR)
    course.tags.set([TagFactory(), TagFactory()])
    LessonFactory(module=ModuleFactory(course=course))
    return course


@pytest.mark.parametrize("size", [5, 50])
def test_catalogue_runs_the_same_queries_for_5_and_50(size, as_user, django_assert_num_queries):
    for _ in range(size):
        _catalogue_course()
    client = as_user(None)
    # count, page, instructors (with users), tags: 4 whatever the page size.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/courses/", {"page_size": 100})
    data = response.json()["data"]
    assert len(data) == size
    assert all(len(item["instructors"]) == 2 and len(item["tags"]) == 2 for item in data)
    assert all(item["category"]["parent"] for item in data)
    assert all(item["lesson_count"] == 1 for item in data)
    with django_assert_num_queries(0):  # the same page again comes from the cache
        assert client.get("/api/v1/courses/", {"page_size": 100}).json()["data"] == data


@pytest.mark.parametrize("size", [5, 50])
def test_teaching_list_runs_the_same_queries(size, as_user, django_assert_num_queries):
    teacher = InstructorFactory()
    for _ in range(size):
        CourseStaffFactory(course=_catalogue_course(), user=teacher, role=CourseStaff.Role.TA)
    client = as_user(teacher)
    # auth (user joined with session), count, page, instructors, tags; no cache here.
    with django_assert_num_queries(5):
        response = client.get("/api/v1/courses/", {"scope": "teaching", "page_size": 100})
    assert len(response.json()["data"]) == size


@pytest.mark.parametrize("lessons", [5, 50])
def test_outline_runs_the_same_queries(lessons, as_user, django_assert_num_queries):
    course = CourseFactory(published=True)
    modules = [ModuleFactory(course=course) for _ in range(5)]
    for n in range(lessons):
        LessonFactory(module=modules[n % 5])
    client = as_user(None)
    with django_assert_num_queries(4):  # the public course's id, the course, modules, lessons
        response = client.get(f"/api/v1/courses/{course.slug}/outline/")
    data = response.json()["data"]
    assert data["lesson_count"] == lessons
    assert sum(len(m["lessons"]) for m in data["modules"]) == lessons
    with django_assert_num_queries(0):  # anonymous: the slug's id and the body are cached
        client.get(f"/api/v1/courses/{course.slug}/outline/")
    cache.clear()


@pytest.mark.parametrize("lessons", [5, 50])
def test_structure_lists_run_the_same_queries(
    lessons, team, make_course, as_user, django_assert_num_queries
):
    course = make_course()
    module = course.modules.get()
    for _ in range(lessons - 1):
        LessonFactory(module=module)
    client = as_user(team.ta)
    # auth (user joined with session), course with the TA's role, lessons
    with django_assert_num_queries(3):
        data = client.get(f"/api/v1/courses/{course.slug}/lessons/").json()["data"]
    assert len(data) == lessons and not any(item["content_locked"] for item in data)
    with django_assert_num_queries(3):  # auth, course with role, modules
        client.get(f"/api/v1/courses/{course.slug}/modules/")
